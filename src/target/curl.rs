//! curl reproductions of recorded requests. The credential is always `$SCIM_TOKEN`, never
//! the value.

use super::client::RecordedRequest;

/// Single-quotes a word for POSIX shells.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// One curl command reproducing a request.
pub fn command(r: &RecordedRequest) -> String {
    let mut cmd = format!("curl -sS -i -X {} {}", r.method.as_str(), quote(&r.url));
    for (k, v) in &r.headers {
        if k.eq_ignore_ascii_case("authorization") {
            if v.ends_with(super::secret::REDACTED) {
                cmd.push_str(" \\\n  -H \"Authorization: Bearer $SCIM_TOKEN\"");
            } else {
                cmd.push_str(&format!(" \\\n  -H {}", quote(&format!("{k}: {v}"))));
            }
        } else {
            cmd.push_str(&format!(" \\\n  -H {}", quote(&format!("{k}: {v}"))));
        }
    }
    if let Some(b) = &r.body {
        cmd.push_str(&format!(" \\\n  --data-binary {}", quote(&b.text())));
    }
    cmd
}

/// A script replaying requests in order.
pub fn script<'a>(requests: impl IntoIterator<Item = &'a RecordedRequest>) -> String {
    let mut out = String::from("#!/bin/sh\n# Needs SCIM_TOKEN in the environment.\nset -e\n");
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
            body: Some(crate::target::Body::Json(
                serde_json::json!({"userName": "o'brien"}),
            )),
        };
        let c = command(&r);
        assert!(c.contains("\"Authorization: Bearer $SCIM_TOKEN\""), "{c}");
        assert!(
            c.contains(r#"--data-binary '{"userName":"o'\''brien"}'"#),
            "{c}"
        );
    }
}
