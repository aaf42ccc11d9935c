//! Image references.

pub mod latest_tag;

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

#[cfg(test)]
mod tests {
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
