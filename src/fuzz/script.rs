//! The reproduction of a divergence: a POSIX shell script of curl commands that creates its
//! own resources (under a fresh prefix), captures their ids, and ends with the request whose
//! answer differs, shown in full.

use super::execute::{VAR, with_query};
use super::trace::Step;
use crate::client::Outcome;
use crate::client::curl::{header, quote};

/// A shell word for `s`, in which `\u{1}NAME\u{1}` stands for the variable `$NAME`.
fn word(s: &str) -> String {
    quote(s)
        .split(VAR)
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("'\"${part}\"'")
            } else {
                part.to_string()
            }
        })
        .collect()
}

/// `%01` is how [`VAR`] comes out of percent-encoding.
fn url(step: &Step) -> String {
    let encoded = with_query(&step.script.path, &step.script.query).replace("%01", "\u{1}");
    word(&format!("{VAR}BASE{VAR}{encoded}"))
}

fn status(o: &Outcome) -> String {
    match o {
        Outcome::Response(r) => r.status.to_string(),
        Outcome::Error(e) => format!("no answer ({e})"),
    }
}

/// The script for `steps`, the last of which diverged as `what` says.
pub fn script(steps: &[Step], what: &str, seed: u64, base_url: &str) -> String {
    let mut out = format!(
        "#!/bin/sh\n\
         # scimitar fuzz, seed {seed}: the target diverges from the reference model at request {n}.\n\
         #   {what}\n\
         # Run with SCIM_TOKEN set (SCIM_USER and SCIM_PASSWORD for HTTP basic), and\n\
         # SCIM_BASE_URL to replay against another server.\n\
         set -eu\n\
         BASE=\"${{SCIM_BASE_URL:-{base_url}}}\"\n\
         RUN=\"$(date +%s)$$\"\n\
         scim_id() {{ grep -o '\"id\"[[:space:]]*:[[:space:]]*\"[^\"]*\"' | head -n 1 | sed 's/.*\"\\([^\"]*\\)\"$/\\1/'; }}\n\
         scim_created() {{ grep -o \"/$1/[^\\\"]*\\\"\" | head -n 1 | sed 's/.*\\/\\([^\"]*\\)\"$/\\1/'; }}\n",
        n = steps.len(),
        what = what.replace('\n', "\n#   "),
    );
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        out.push_str(&format!(
            "\n# {}. {} (reference: {}, target: {})\n",
            i + 1,
            step.op,
            step.expected.status,
            status(&step.actual)
        ));
        let bulk = !step.bulk_creates.is_empty() && !last;
        let mut cmd = match (&step.creates, last) {
            (_, true) => "curl -sS -i".to_string(),
            _ if bulk => "BULK=$(curl -sS".to_string(),
            (Some(var), false) => format!("{var}=$(curl -sS"),
            (None, false) => "curl -sS -o /dev/null -w '%{http_code}\\n'".to_string(),
        };
        cmd.push_str(&format!(
            " -X {} {}",
            step.script.method.as_str(),
            url(step)
        ));
        for (k, v) in &step.request.headers {
            cmd.push_str(&format!(" \\\n  {}", header(k, v)));
        }
        if let Some(b) = &step.script.body {
            cmd.push_str(&format!(
                " \\\n  --data-binary {}",
                word(&b.to_string().replace("\\u0001", "\u{1}"))
            ));
        }
        if bulk {
            // The ids are the last segments of the Bulk response's locations.
            cmd.push(')');
            for var in &step.bulk_creates {
                let endpoint = if var.starts_with('G') {
                    "Groups"
                } else {
                    "Users"
                };
                cmd.push_str(&format!(
                    "\n{var}=$(printf '%s' \"$BULK\" | scim_created {endpoint})\necho \"{var}=${var}\""
                ));
            }
        } else if let (Some(var), false) = (&step.creates, last) {
            cmd.push_str(&format!(" | scim_id)\necho \"{var}=${var}\""));
        }
        out.push_str(&cmd);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_break_out_of_single_quotes() {
        assert_eq!(word("a\u{1}U1\u{1}b"), "'a'\"$U1\"'b'");
        assert_eq!(word("it's"), r"'it'\''s'");
    }
}
