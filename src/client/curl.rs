//! curl reproductions of recorded requests. The credential is always `$SCIM_TOKEN`, never
//! the value.

use super::record::RecordedRequest;
use super::secret::REDACTED;

/// Single-quotes a word for POSIX shells.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The curl option sending one recorded header; a redacted credential becomes the
/// environment variable it is read from.
pub fn header(k: &str, v: &str) -> String {
    let redacted = v.ends_with(REDACTED);
    match (k.to_ascii_lowercase().as_str(), redacted) {
        ("authorization", true) if v.starts_with("Basic") => {
            "-u \"$SCIM_USER:$SCIM_PASSWORD\"".to_string()
        }
        ("authorization", true) => "-H \"Authorization: Bearer $SCIM_TOKEN\"".to_string(),
        // A custom credential header.
        (_, true) => format!("-H \"{k}: $SCIM_TOKEN\""),
        _ => format!("-H {}", quote(&format!("{k}: {v}"))),
    }
}

/// One curl command reproducing a request.
pub fn command(r: &RecordedRequest) -> String {
    let mut cmd = format!("curl -sS -i -X {} {}", r.method.as_str(), quote(&r.url));
    for (k, v) in &r.headers {
        cmd.push_str(&format!(" \\\n  {}", header(k, v)));
    }
    if let Some(b) = &r.body {
        cmd.push_str(&format!(" \\\n  --data-binary {}", quote(&b.text())));
    }
    cmd
}

/// A script replaying requests in order.
pub fn script<'a>(requests: impl IntoIterator<Item = &'a RecordedRequest>) -> String {
    let mut out = String::from(
        "#!/bin/sh\n# Needs the credential in the environment: SCIM_TOKEN (a bearer token, OAuth access\n# token or API key), or SCIM_USER and SCIM_PASSWORD for HTTP basic.\nset -e\n",
    );
    for r in requests {
        out.push('\n');
        out.push_str(&command(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Method;

    #[test]
    fn uses_the_variable_not_the_secret_and_quotes_bodies() {
        let r = RecordedRequest {
            method: Method::Post,
            url: "http://h/Users".into(),
            headers: vec![("Authorization".into(), "Bearer [REDACTED]".into())],
            body: Some(crate::client::Body::Json(
                serde_json::json!({"userName": "o'brien"}),
            )),
        };
        let c = command(&r);
        assert!(c.contains("\"Authorization: Bearer $SCIM_TOKEN\""), "{c}");
        let basic = RecordedRequest {
            headers: vec![
                ("Authorization".into(), "Basic [REDACTED]".into()),
                ("X-API-Key".into(), "[REDACTED]".into()),
            ],
            ..r.clone()
        };
        let c = command(&basic);
        assert!(c.contains("-u \"$SCIM_USER:$SCIM_PASSWORD\""), "{c}");
        assert!(c.contains("-H \"X-API-Key: $SCIM_TOKEN\""), "{c}");
        assert!(
            c.contains(r#"--data-binary '{"userName":"o'\''brien"}'"#),
            "{c}"
        );
    }

    #[test]
    fn a_script_is_a_shell_script_of_the_requests_in_order() {
        let get = |path: &str| RecordedRequest {
            method: Method::Get,
            url: format!("http://h{path}"),
            headers: vec![],
            body: None,
        };
        let s = script([&get("/Users/first"), &get("/Users/second")]);
        assert!(s.starts_with("#!/bin/sh\n"), "{s}");
        assert!(s.contains("\nset -e\n"), "{s}");
        let first = s.find("curl -sS -i -X GET 'http://h/Users/first'");
        let second = s.find("curl -sS -i -X GET 'http://h/Users/second'");
        assert!(
            matches!((first, second), (Some(a), Some(b)) if a < b),
            "{s}"
        );
        let syntax = std::process::Command::new("sh")
            .args(["-n", "-c", &s])
            .status()
            .expect("sh runs");
        assert!(syntax.success(), "not valid sh:\n{s}");
    }
}
