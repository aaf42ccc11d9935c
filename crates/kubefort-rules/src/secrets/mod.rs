//! Credentials written into manifests: detection and redaction.
//!
//! A finding never carries a secret value: [`Found::describe`] shows the
//! kind of credential, at most the first four characters of well-known
//! token formats (their public prefix, such as `ghp_` or `AKIA`) and the
//! length. Values of password-like names show no characters at all.

pub mod in_annotations;
pub mod in_configmap;
pub mod in_env;
pub mod secret_in_manifest;

use std::sync::LazyLock;

use regex::Regex;

/// A credential found in a value.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    /// What it is: "GitHub token", "private key (PEM)".
    pub kind: &'static str,
    /// The public prefix, when the kind has one worth showing.
    pub prefix: Option<String>,
    /// Length of the matched credential, in characters.
    pub len: usize,
}

impl Found {
    /// The credential as a finding may show it: kind, prefix, length.
    pub fn describe(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{} ({p}…, {} characters)", self.kind, self.len),
            None => format!("{} ({} characters)", self.kind, self.len),
        }
    }
}

/// Token formats with a recognisable shape. `true`: show the first four
/// characters (a public prefix).
static PATTERNS: LazyLock<Vec<(&'static str, bool, Regex)>> = LazyLock::new(|| {
    let p = |kind, show, re: &str| (kind, show, Regex::new(re).expect("valid pattern"));
    vec![
        p(
            "private key (PEM)",
            false,
            r"-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----",
        ),
        p(
            "AWS access key",
            true,
            r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b",
        ),
        p("Google API key", true, r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        p(
            "Azure storage account key",
            false,
            r"AccountKey=[A-Za-z0-9+/]{86}==",
        ),
        p(
            "Azure SAS token",
            false,
            r"[?&]sig=[A-Za-z0-9%+/]{43,}(?:%3D|=)",
        ),
        p("GitHub token", true, r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
        p("GitHub token", true, r"\bgithub_pat_[A-Za-z0-9_]{82}\b"),
        p("GitLab token", true, r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
        p("Slack token", true, r"\bxox[baprs]-[0-9A-Za-z\-]{10,}"),
        p(
            "Slack webhook URL",
            false,
            r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}",
        ),
        p("Stripe key", true, r"\b[rs]k_live_[0-9A-Za-z]{20,}\b"),
        p(
            "SendGrid key",
            true,
            r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b",
        ),
        p("npm token", true, r"\bnpm_[A-Za-z0-9]{36}\b"),
        p(
            "PyPI token",
            true,
            r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
        ),
        p(
            "OpenAI key",
            true,
            r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}",
        ),
        p(
            "Anthropic key",
            true,
            r"\bsk-ant-[a-z0-9]{2,8}-[A-Za-z0-9_\-]{40,}",
        ),
        p(
            "JSON Web Token",
            true,
            r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}",
        ),
    ]
});

/// `scheme://user:password@host`.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^/\s:@]{1,128}:([^/\s@]{1,256})@[A-Za-z0-9.\-\[]",
    )
    .expect("valid pattern")
});

/// Names of keys, variables and flags that hold credentials.
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)(?:passw(?:or)?d|passwd|passphrase|bearer|\bpwd\b|_pwd\b|secret|token|api[_\-.]?key|access[_\-.]?key|private[_\-.]?key|client[_\-.]?secret|credentials?\b|auth[_\-.]?key|signing[_\-.]?key|encryption[_\-.]?key|master[_\-.]?key)",
    )
    .expect("valid pattern")
});

/// Names that mention a credential but hold something else: where it is,
/// what it is called, how it behaves.
static NOT_A_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)(?:_?(?:file|path|dir|env|var|pattern|regex|name|ref|key_?id|id|url|uri|endpoint|enabled|enable|disabled|required|ttl|timeout|expiry|expiration|length|len|size|header|type|mode|policy|secret_?name|namespace|version|format|source|mount|location|provider|keyring|store|arn|hash_?algorithm|rotation|refresh_?interval|lifetime|duration|seconds|minutes|hours|days|count|max|min|limit|field|prefix|audience|issuer|scope|scopes)$)",
    )
    .expect("valid pattern")
});

/// Values that are placeholders, references or templates, not credentials.
pub fn is_placeholder(v: &str) -> bool {
    let t = v.trim().trim_matches(|c| c == '"' || c == '\'');
    if t.is_empty() {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "password",
        "passw0rd",
        "secret",
        "token",
        "example",
        "dummy",
        "test",
        "testing",
        "none",
        "null",
        "nil",
        "todo",
        "tbd",
        "replaceme",
        "replace-me",
        "replace_me",
        "fixme",
        "redacted",
        "placeholder",
        "default",
        "admin",
        "root",
        "user",
        "guest",
        "demo",
        "sample",
        "foo",
        "bar",
        "foobar",
        "xxx",
        "your-password",
        "your_password",
        "yourpassword",
        "mypassword",
        "my-password",
        "true",
        "false",
        "yes",
        "no",
    ];
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    // References: $(VAR) ${VAR} $VAR {{ tmpl }} %VAR% <value> [value]
    if t.contains("$(") || t.contains("${") || t.contains("{{") || t.contains("}}") {
        return true;
    }
    // `$VAR`, and Argo CD's `$secret-key` / `$dex.github.clientSecret`.
    if t.len() > 1
        && t.starts_with('$')
        && t[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return true;
    }
    // The name of another variable: `HF_TOKEN`, `GOOGLE_API_KEY_VAL`.
    if t.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && t.contains('_')
    {
        return true;
    }
    if (t.starts_with('<') && t.ends_with('>')) || (t.starts_with('%') && t.ends_with('%')) {
        return true;
    }
    // Masked, repeated or explanatory values.
    let first = t.chars().next().unwrap_or(' ');
    if t.chars().all(|c| c == first)
        || t.chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '#'))
    {
        return true;
    }
    // Self-describing fillers: `nvapi-NVKEY`, `YOUR_TOKEN_ID`, `MYPASSWORD`.
    let upper = t.to_ascii_uppercase();
    if ["TOKEN", "PASSWORD", "SECRET", "APIKEY"]
        .iter()
        .any(|w| upper.contains(w))
        || upper.ends_with("KEY")
    {
        return true;
    }
    t.contains("EXAMPLE")
        || lower.contains("changeme")
        || lower.contains("change-me")
        || lower.contains("replace")
        || lower.contains("your-")
        || lower.contains("your_")
        || lower.starts_with("vault:")
        || lower.starts_with("ref+")
        || lower.starts_with("arn:")
        || lower.starts_with("secretref")
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Whether a value of a password-like name looks like a real secret:
/// long enough, random-looking, and not a path, a number or a sentence.
pub(crate) fn looks_random(v: &str) -> bool {
    let t = v.trim().trim_matches(|c| c == '"' || c == '\'');
    let len = t.chars().count();
    if !(8..=512).contains(&len) || is_placeholder(t) {
        return false;
    }
    if t.starts_with('/') || t.starts_with("./") || t.contains("://") || t.contains(' ') {
        return false;
    }
    if t.parse::<f64>().is_ok() {
        return false;
    }
    // Code and patterns: `os.environ["TOKEN"]`, `getenv("X")`, `^.{8,32}$`.
    if (t.contains('(') && t.contains(')'))
        || (t.contains('[') && t.contains(']'))
        || (t.starts_with('^') && t.ends_with('$'))
    {
        return false;
    }
    // Names of other objects and keys: lowercase words joined by - . _
    if t.chars()
        .all(|c| c.is_ascii_lowercase() || matches!(c, '-' | '.' | '_'))
    {
        return false;
    }
    // Paths and references into secret stores: `database/creds/app`,
    // `secret/data/app:password`.
    if t.contains(['/', ':'])
        && t.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_' | '/' | ':')
        })
    {
        return false;
    }
    let classes = [
        t.chars().any(|c| c.is_ascii_lowercase()),
        t.chars().any(|c| c.is_ascii_uppercase()),
        t.chars().any(|c| c.is_ascii_digit()),
        t.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    classes >= 2 && entropy(t) >= 3.0
}

fn found(kind: &'static str, show: bool, text: &str) -> Found {
    Found {
        kind,
        prefix: show.then(|| text.chars().take(4).collect()),
        len: text.chars().count(),
    }
}

/// A credential of a recognisable format anywhere in `text`.
pub fn scan_text(text: &str) -> Option<Found> {
    for (kind, show, re) in PATTERNS.iter() {
        if let Some(m) = re.find(text) {
            if is_placeholder(m.as_str()) {
                continue;
            }
            return Some(found(kind, *show, m.as_str()));
        }
    }
    for c in URL_PASSWORD.captures_iter(text) {
        let pw = c.get(1).map_or("", |m| m.as_str());
        if !is_placeholder(pw) && !pw.starts_with('$') {
            return Some(Found {
                kind: "URL with an embedded password",
                prefix: None,
                len: pw.chars().count(),
            });
        }
    }
    None
}

/// Whether a key, variable or flag name is one that holds a credential.
pub fn secret_name(name: &str) -> bool {
    SECRET_NAME.is_match(name) && !NOT_A_VALUE.is_match(name)
}

/// A credential in a named value: a recognisable format, or a
/// password-like name with a random-looking value.
pub fn scan_named(name: &str, value: &str) -> Option<Found> {
    if let Some(f) = scan_text(value) {
        return Some(f);
    }
    if secret_name(name) && looks_random(value) {
        return Some(Found {
            kind: "hard-coded value of a credential-named setting",
            prefix: None,
            len: value.trim().chars().count(),
        });
    }
    None
}

/// A credential in a multi-line text (a configuration file in a ConfigMap):
/// recognisable formats anywhere, and `name = value`, `name: value` or
/// `"name": "value"` lines with a password-like name and a random value.
/// Returns the 0-based line of the text where it was found.
pub fn scan_document(text: &str) -> Option<(usize, Found)> {
    if let Some(f) = scan_text(text) {
        let line = PATTERNS
            .iter()
            .find_map(|(_, _, re)| re.find(text))
            .or_else(|| URL_PASSWORD.find(text))
            .map_or(0, |m| text[..m.start()].matches('\n').count());
        return Some((line, f));
    }
    for (i, line) in text.lines().enumerate() {
        // Without a trailing comment (`key: value # note`).
        let l = line.split(" #").next().unwrap_or(line);
        let l = l.trim().trim_end_matches(',');
        if l.starts_with('#') || l.starts_with("//") {
            continue;
        }
        let Some(sep) = l.find(['=', ':']) else {
            continue;
        };
        let (k, v) = (&l[..sep], &l[sep + 1..]);
        let k = k.trim().trim_matches(|c| c == '"' || c == '\'');
        let k = k.strip_prefix("export ").unwrap_or(k);
        if k.contains(char::is_whitespace) {
            continue;
        }
        let v = v.trim();
        if secret_name(k) && looks_random(v) {
            return Some((
                i,
                Found {
                    kind: "hard-coded value of a credential-named setting",
                    prefix: None,
                    len: v.trim_matches(|c| c == '"' || c == '\'').chars().count(),
                },
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let k = |s: &str| scan_text(s).map(|f| f.kind);
        assert_eq!(
            k("-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
            Some("private key (PEM)")
        );
        assert_eq!(k("-----BEGIN CERTIFICATE-----"), None);
        assert_eq!(k("AKIAZ7QWERTY2VBNM3XC"), Some("AWS access key"));
        assert_eq!(k("AKIAIOSFODNN7EXAMPLE"), None, "AWS's documentation key");
        assert_eq!(
            k("ghp_Zq3v8RkT1mWx9bYcN4pLs7dHf2gJa6eUo0iK"),
            Some("GitHub token")
        );
        assert_eq!(
            k("postgres://app:S3cr3t-Pa55@db:5432/app"),
            Some("URL with an embedded password")
        );
        assert_eq!(k("postgres://app:$(DB_PASSWORD)@db:5432/app"), None);
        assert_eq!(k("postgres://app:${DB_PASSWORD}@db/app"), None);
        assert_eq!(k("https://user@example.com/x"), None);
        assert_eq!(k("http://[::1]:8080/x"), None);
    }

    #[test]
    fn names_and_values() {
        assert!(scan_named("DB_PASSWORD", "q9W!xz7Lp2#r").is_some());
        assert!(scan_named("DB_PASSWORD", "changeme").is_none());
        assert!(scan_named("DB_PASSWORD", "<password>").is_none());
        assert!(scan_named("DB_PASSWORD", "").is_none());
        assert!(scan_named("DB_PASSWORD_FILE", "/run/secrets/db-Pw1").is_none());
        assert!(scan_named("TOKEN_SECRET_NAME", "app-Token-2").is_none());
        assert!(scan_named("API_KEY", "$(API_KEY)").is_none());
        assert!(scan_named("LOG_LEVEL", "q9W!xz7Lp2#r").is_none());
        assert!(scan_named("SECRET_KEY_BASE", "my-app-secret-key").is_none());
        assert!(scan_named("TOKEN_TTL", "3600").is_none());
        assert!(scan_named("HF_TOKEN", "HF_TOKEN").is_none());
        assert!(scan_named("clientSecret", "$dex.github.clientSecret").is_none());
        assert!(scan_named("token", "$slack-token").is_none());
        assert!(scan_named("secretEnv", "OIDC_CLIENT_SECRET").is_none());
        assert!(scan_named("passwordPattern", "^.{8,32}$").is_none());
        assert!(scan_named("token", "os.environ[\"HUB_TOKEN\"]").is_none());
    }

    #[test]
    fn redaction_shows_no_more_than_a_prefix() {
        let f = scan_text("token: ghp_Zq3v8RkT1mWx9bYcN4pLs7dHf2gJa6eUo0iK").unwrap();
        assert_eq!(f.describe(), "GitHub token (ghp_…, 40 characters)");
        let f = scan_named("PASSWORD", "q9W!xz7Lp2#r").unwrap();
        assert_eq!(
            f.describe(),
            "hard-coded value of a credential-named setting (12 characters)"
        );
    }

    #[test]
    fn documents() {
        let doc = "server:\n  port: 8080\n  password: \"Zx8#kq2Lw9vB\"\n";
        assert_eq!(scan_document(doc).map(|(l, _)| l), Some(2));
        let doc = "[auth]\npassword_file = /etc/app/pw\ntoken = ${TOKEN}\n";
        assert_eq!(scan_document(doc), None);
    }
}
