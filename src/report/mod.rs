//! Reports: one result model, one reporter per format, each behind [`Reporter`].

mod json;
mod junit;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use crate::exec::StepRecord;
use crate::suite::Level;

/// Everything a run found, in the form every reporter reads.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub target: String,
    pub run_id: String,
    pub duration_ms: f64,
    pub passed: usize,
    pub failed: usize,
    pub warnings: usize,
    pub skipped: usize,
    pub cases: Vec<CaseResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    /// A MUST case failed.
    Failed,
    /// A SHOULD or MAY case failed: reported, but the run still passes.
    Warning,
    /// The case needs a feature the target does not advertise; the message says which.
    Skipped,
}

#[derive(Debug, Serialize)]
pub struct CaseResult {
    /// `suite::case`, as the runner names it.
    pub name: String,
    pub suite: String,
    pub case: String,
    pub file: PathBuf,
    pub level: Level,
    pub requirements: Vec<String>,
    pub status: Status,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reproduction: Option<String>,
    pub steps: Vec<StepRecord>,
}

/// A format that can be written to a file.
pub trait Reporter {
    fn render(&self, report: &RunReport) -> String;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
}

impl Format {
    fn reporter(self) -> &'static dyn Reporter {
        match self {
            Format::Json => &json::Json,
            Format::Junit => &junit::Junit,
        }
    }
}

/// `--report FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    pub format: Format,
    pub path: PathBuf,
}

impl FromStr for ReportSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (fmt, path) = s
            .split_once('=')
            .ok_or("expected FORMAT=PATH, e.g. junit=results.xml")?;
        let format = match fmt {
            "json" => Format::Json,
            "junit" => Format::Junit,
            other => {
                return Err(format!(
                    "unknown report format `{other}` (known: json, junit)"
                ));
            }
        };
        if path.is_empty() {
            return Err("the report path is empty".into());
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

impl fmt::Display for ReportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}={}", self.format, self.path.display())
    }
}

/// Writes one report; `scrub` removes any secret the text may still carry.
pub fn write(
    spec: &ReportSpec,
    report: &RunReport,
    scrub: impl Fn(&str) -> String,
) -> std::io::Result<()> {
    let text = scrub(&spec.format.reporter().render(report));
    if let Some(dir) = spec.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&spec.path, text)
}

/// What libtest's summary cannot say: the warnings (failed SHOULD/MAY cases) and the cases
/// skipped for a feature the target does not advertise, each with its reason.
pub fn summary(report: &RunReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let listed = |out: &mut String, status: Status, head: String| {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.status == status).collect();
        if cases.is_empty() {
            return;
        }
        let _ = writeln!(out, "{head} ({}):", cases.len());
        for c in cases {
            let first = c.message.as_deref().and_then(|m| {
                m.lines()
                    .find(|l| l.trim_start().starts_with('✗'))
                    .or_else(|| m.lines().next())
            });
            let _ = writeln!(
                out,
                "    {} [{} {}] {}",
                c.name,
                c.level,
                c.requirements.join(" "),
                first.unwrap_or_default().trim()
            );
        }
        out.push('\n');
    };
    listed(
        &mut out,
        Status::Warning,
        "warnings: failed SHOULD/MAY cases, unadvertised features that work, values the RFC only suggests; the run still passes".into(),
    );
    listed(
        &mut out,
        Status::Skipped,
        "skipped: the target does not advertise what these cases need".into(),
    );
    out
}
