//! Image references.

pub mod allowed_registries;
pub mod blocked_registries;
pub mod dashboard;
pub mod deprecated_registry;
pub mod digest_not_pinned;
pub mod git_sync_exec;
pub mod helm_tiller;
pub mod ingress_nginx_eol;
pub mod ingress_nginx_snippets;
pub mod latest_tag;
pub mod pull_policy;

use kubefort_core::object::Container;
use kubefort_core::ObjectCtx;

/// The parts of an image reference (`registry:5000/team/app:1.2@sha256:…`).
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry host, when the first path component names one.
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// Split an image reference the way the container runtime does: a digest
/// after `@`; a tag after the last `:` of the last path component; a first
/// component with `.` or `:` or equal to `localhost` is a registry.
pub fn parse_image(image: &str) -> ImageRef<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    let (registry, repository) = match name.split_once('/') {
        Some((first, path))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), path)
        }
        _ => (None, name),
    };
    ImageRef {
        registry,
        repository,
        tag,
        digest,
    }
}

impl ImageRef<'_> {
    /// The fully qualified repository as the runtime pulls it:
    /// `nginx` → `docker.io/library/nginx`, `ghcr.io/acme/app` unchanged.
    pub fn qualified(&self) -> String {
        match self.registry {
            Some(r) => format!("{r}/{}", self.repository),
            None if self.repository.contains('/') => format!("docker.io/{}", self.repository),
            None => format!("docker.io/library/{}", self.repository),
        }
    }
}

/// Whether a qualified repository is under `prefix`: a prefix without `/`
/// names a registry host (`ghcr.io` matches `ghcr.io/…`, never
/// `ghcr.io.evil.example/…`); with `/`, it is matched by path components
/// (`ghcr.io/acme/` and `ghcr.io/acme` both match `ghcr.io/acme/app`, not
/// `ghcr.io/acme-evil/app`). `docker.io` also matches references without a
/// registry and the `index.docker.io` spelling.
pub fn under_prefix(qualified: &str, prefix: &str) -> bool {
    let prefix = prefix.trim().trim_end_matches('/');
    let q = qualified
        .strip_prefix("index.docker.io/")
        .map(|r| format!("docker.io/{r}"));
    let q = q.as_deref().unwrap_or(qualified);
    let p = prefix
        .strip_prefix("index.docker.io")
        .map(|r| format!("docker.io{r}"));
    let p = p.as_deref().unwrap_or(prefix);
    q == p || (q.starts_with(p) && q.as_bytes().get(p.len()) == Some(&b'/'))
}

/// Every container with a non-empty image, and the image as written (trimmed).
pub(crate) fn images<'a>(ctx: &ObjectCtx<'a>) -> Vec<(Container<'a>, &'a str)> {
    let mut out = Vec::new();
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            if let Some(image) = c.node.str_at("image").map(str::trim) {
                if !image.is_empty() {
                    out.push((c, image));
                }
            }
        }
    }
    out
}

/// Registry settings shared by `allowed-registries` and `blocked-registries`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrySettings {
    /// Registry hosts or repository prefixes (`ghcr.io/acme/`).
    pub registries: Vec<String>,
}

impl kubefort_core::Validate for RegistrySettings {
    fn validate(&mut self) -> Result<(), String> {
        for r in &self.registries {
            let t = r.trim().trim_end_matches('/');
            if t.is_empty() {
                return Err("registries: an entry is empty".into());
            }
            if t.contains(['*', '?', '@', ' ']) || t.starts_with('/') {
                return Err(format!(
                    "registries: {r:?} is not a registry host or repository prefix (write `registry.example.com` or `ghcr.io/acme/`; no wildcards)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefixes_match_by_component() {
        let q = |s| super::parse_image(s).qualified();
        assert_eq!(q("nginx"), "docker.io/library/nginx");
        assert_eq!(q("bitnami/redis:7"), "docker.io/bitnami/redis");
        assert_eq!(q("ghcr.io/acme/app@sha256:ab"), "ghcr.io/acme/app");
        assert!(super::under_prefix("ghcr.io/acme/app", "ghcr.io"));
        assert!(super::under_prefix("ghcr.io/acme/app", "ghcr.io/acme/"));
        assert!(super::under_prefix("ghcr.io/acme/app", "ghcr.io/acme"));
        assert!(!super::under_prefix(
            "ghcr.io/acme-evil/app",
            "ghcr.io/acme/"
        ));
        assert!(!super::under_prefix("ghcr.io.evil.example/app", "ghcr.io"));
        assert!(super::under_prefix("docker.io/library/nginx", "docker.io"));
        assert!(super::under_prefix(
            "index.docker.io/library/nginx",
            "docker.io/library"
        ));
    }

    use super::*;

    #[test]
    fn parses_references() {
        assert_eq!(
            parse_image("nginx"),
            ImageRef {
                registry: None,
                repository: "nginx",
                tag: None,
                digest: None
            }
        );
        assert_eq!(
            parse_image("registry.local:5000/team/app:1.2"),
            ImageRef {
                registry: Some("registry.local:5000"),
                repository: "team/app",
                tag: Some("1.2"),
                digest: None
            }
        );
        let r = parse_image("localhost:5000/app@sha256:abc");
        assert_eq!(r.registry, Some("localhost:5000"));
        assert_eq!(r.tag, None);
        assert_eq!(r.digest, Some("sha256:abc"));
        assert_eq!(parse_image("library/nginx:latest").tag, Some("latest"));
        assert_eq!(parse_image("library/nginx:latest").registry, None);
    }
}
