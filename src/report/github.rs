//! Under GitHub Actions (`GITHUB_ACTIONS=true`): an annotation per failing or warning case,
//! placed on its line of the suite file, and the run's outcome as the job summary.

use std::fmt::Write;

use super::{RunReport, Status};

/// Escapes a workflow command's message (GitHub's rules: `%`, CR, LF).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error` for each case that fails the run, `::warning` for warnings and undocumented
/// deviations that do not.
pub fn annotations(report: &RunReport) -> String {
    let mut out = String::new();
    for c in &report.cases {
        let kind = if c.status.fails_run(c.level) {
            "error"
        } else if matches!(c.status, Status::Warning | Status::Undocumented) {
            "warning"
        } else {
            continue;
        };
        let line = c.line.map(|l| format!(",line={l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "::{kind} file={}{line},title={}::{}",
            property(&c.file.display().to_string()),
            property(&format!(
                "{} [{}] {}",
                c.name,
                c.level,
                c.requirements.join(" ")
            )),
            data(c.message.as_deref().unwrap_or(c.status.as_str()))
        );
    }
    out
}

/// The job summary: the counts, then each case that failed with its requirements.
pub fn job_summary(report: &RunReport) -> String {
    let mut out = format!(
        "## scimitar: {}\n\n| passed | failed | warnings | skipped | documented | undocumented |\n|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} |\n",
        report.target,
        report.passed,
        report.failed,
        report.warnings,
        report.skipped,
        report.documented,
        report.undocumented
    );
    if let Some(line) = super::unfinished(report) {
        let _ = writeln!(out, "\n{line}");
    }
    let failing: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.status.fails_run(c.level))
        .collect();
    if !failing.is_empty() {
        out.push_str("\n| case | level | requirements | first line |\n|---|---|---|---|\n");
        for c in failing {
            let first = c
                .message
                .as_deref()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                c.name,
                c.level,
                c.requirements.join(" "),
                first.replace('|', "\\|")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a::b, c"), "a%3A%3Ab%2C c");
    }
}
