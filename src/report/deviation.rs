//! The vendor deviation report, as Markdown and as one self-contained HTML page: a summary by
//! area and level, the standing of each declared deviation, then every finding with its RFC
//! section, whether the vendor documents it, the exchange that shows it and a curl script.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::findings::{self, Finding, SetupFailure};
use super::optional::{self, Offer};
use super::{CaseResult, Reporter, RunReport, Standing, Status};
use crate::client::Outcome;
use crate::exec::StepRecord;
use crate::interop::readiness::{Area, Gap};
use crate::requirements;

/// How much of a response body the evidence shows.
const SHOWN: usize = 1500;

/// What both formats show, computed once.
struct View<'a> {
    report: &'a RunReport,
    /// (area, level) → requirement counts by the worst result of the cases citing them.
    matrix: BTreeMap<(String, String), Counts>,
    /// Worst first: broken rows, undocumented and documented deviations, warnings.
    findings: Vec<Finding<'a>>,
    setups: Vec<SetupFailure<'a>>,
}

#[derive(Default)]
struct Counts {
    passed: usize,
    documented: usize,
    broken: usize,
    warned: usize,
}

/// Worse results rank higher; a requirement takes the worst of its cases.
fn rank(s: Status) -> u8 {
    match s {
        Status::Skipped | Status::Blocked | Status::Inconclusive | Status::Interrupted => 0,
        Status::Passed => 1,
        Status::Warning => 2,
        Status::Documented => 3,
        Status::Failed | Status::Undocumented => 4,
    }
}

impl<'a> View<'a> {
    fn new(report: &'a RunReport) -> Self {
        let mut worst: BTreeMap<&str, Status> = BTreeMap::new();
        for c in &report.cases {
            for r in &c.requirements {
                let e = worst.entry(r.as_str()).or_insert(c.status);
                if rank(c.status) > rank(*e) {
                    *e = c.status;
                }
            }
        }
        let mut matrix: BTreeMap<(String, String), Counts> = BTreeMap::new();
        for (id, status) in worst {
            let Some(req) = requirements::find(id) else {
                continue;
            };
            let counts = matrix
                .entry((req.area.clone(), req.level.to_string()))
                .or_default();
            match status {
                Status::Passed => counts.passed += 1,
                Status::Documented => counts.documented += 1,
                Status::Failed | Status::Undocumented => counts.broken += 1,
                Status::Warning => counts.warned += 1,
                Status::Skipped | Status::Blocked | Status::Inconclusive | Status::Interrupted => {}
            }
        }
        let findings = [
            Status::Failed,
            Status::Undocumented,
            Status::Documented,
            Status::Warning,
        ]
        .into_iter()
        .flat_map(|s| findings::findings(&report.cases, s))
        .collect();
        View {
            report,
            matrix,
            findings,
            setups: findings::setup_failures(&report.cases),
        }
    }

    fn title(&self) -> String {
        let who = if self.report.profile_title.is_empty() {
            self.report.profile.clone()
        } else {
            self.report.profile_title.clone()
        };
        format!("SCIM deviation report: {who}")
    }
}

fn label(s: Status) -> &'static str {
    match s {
        Status::Failed => "fail",
        Status::Undocumented => "undocumented deviation",
        Status::Documented => "documented deviation",
        Status::Warning => "warning",
        Status::Passed => "pass",
        Status::Skipped => "skipped",
        Status::Blocked => "blocked",
        Status::Inconclusive => "inconclusive",
        Status::Interrupted => "interrupted",
    }
}

fn standing(s: Standing) -> &'static str {
    match s {
        Standing::Documented => "documented and observed",
        Standing::Stale => "stale: the server complies",
        Standing::Unobservable => "documented, not observable over HTTP",
        Standing::Unchecked => "not checked in this run",
    }
}

/// The RFC sections a case's requirements come from, e.g. `RFC 7644 §3.4.2.2`.
fn sections(c: &CaseResult) -> Vec<String> {
    let mut out: Vec<String> = c
        .requirements
        .iter()
        .filter_map(|r| requirements::find(r))
        .map(|r| format!("{} §{}", r.rfc, r.section))
        .collect();
    out.dedup();
    out
}

/// The requirement ids and RFC sections a case cites, or what a vendor case checks.
fn cited(c: &CaseResult) -> String {
    if c.requirements.is_empty() {
        return "the vendor's own documentation".into();
    }
    format!("{} ({})", c.requirements.join(", "), sections(c).join(", "))
}

/// The names of a finding's cases.
fn names(f: &Finding) -> String {
    let names: Vec<&str> = f.cases.iter().map(|c| c.name.as_str()).collect();
    names.join(", ")
}

/// The step that shows the finding: the failing one, else the last one that ran.
fn evidence(c: &CaseResult) -> Option<&StepRecord> {
    c.steps.iter().find(|s| !s.failures.is_empty()).or_else(|| {
        c.steps
            .iter()
            .rev()
            .find(|s| !s.teardown && s.exchange.is_some())
    })
}

/// The exchange as text: request line and body, response status, type and body.
fn exchange_text(step: &StepRecord) -> String {
    let Some(x) = &step.exchange else {
        return String::new();
    };
    let r = &x.request;
    let mut out = format!("{} {}\n", r.method.as_str(), r.url);
    if let Some(b) = &r.body {
        out.push_str(&crate::check::cut(&pretty(&b.text()), SHOWN));
        out.push('\n');
    }
    out.push('\n');
    match &x.outcome {
        Outcome::Response(resp) => {
            let _ = writeln!(out, "HTTP {}", resp.status);
            for (k, v) in &resp.headers {
                if k.eq_ignore_ascii_case("content-type") || k.eq_ignore_ascii_case("location") {
                    let _ = writeln!(out, "{k}: {v}");
                }
            }
            if !resp.body.is_empty() {
                out.push_str(&crate::check::cut(&pretty(&resp.body), SHOWN));
                out.push('\n');
            }
        }
        Outcome::Error(e) => {
            let _ = writeln!(out, "no response: {e}");
        }
    }
    out
}

fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

/// What failed, in one or a few lines (the ✗ lines of the message, or its first line).
fn what(c: &CaseResult) -> Vec<String> {
    let m = c.message.as_deref().unwrap_or_default();
    let marked: Vec<String> = m
        .lines()
        .filter(|l| l.trim_start().starts_with('✗'))
        .map(|l| l.trim().trim_start_matches('✗').trim().to_string())
        .collect();
    if marked.is_empty() {
        m.lines().take(1).map(str::to_string).collect()
    } else {
        marked
    }
}

/// An interop area's gaps in one table cell, each written by `write`.
fn gap_cell(a: &Area, write: impl Fn(&Gap) -> String) -> String {
    a.gaps.iter().map(write).collect::<Vec<_>>().join("<br>")
}

pub struct Markdown;

impl Reporter for Markdown {
    fn render(&self, report: &RunReport) -> String {
        let v = View::new(report);
        let mut o = String::new();
        let _ = writeln!(o, "# {}\n", v.title());
        let _ = writeln!(
            o,
            "Target `{}`, profile `{}`, scimitar {}, run `{}`.\n",
            report.target, report.profile, report.version, report.run_id
        );
        if let Some(line) = super::unfinished(report) {
            let _ = writeln!(o, "**{line}**\n");
        }
        let _ = writeln!(
            o,
            "| passed | failed | undocumented deviations | documented deviations | warnings | skipped |\n|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} |\n",
            report.passed,
            report.failed,
            report.undocumented,
            report.documented,
            report.warnings,
            report.skipped
        );
        let _ = writeln!(o, "## Requirements by area and level\n");
        let _ = writeln!(
            o,
            "| area | level | met | documented deviation | broken | warning |\n|---|---|---|---|---|---|"
        );
        for ((area, level), c) in &v.matrix {
            let _ = writeln!(
                o,
                "| {area} | {level} | {} | {} | {} | {} |",
                c.passed, c.documented, c.broken, c.warned
            );
        }
        if !report.declarations.is_empty() {
            let _ = writeln!(o, "\n## Declared deviations\n");
            let _ = writeln!(
                o,
                "| deviation | standing | requirements | vendor's words |\n|---|---|---|---|"
            );
            for d in &report.declarations {
                let _ = writeln!(
                    o,
                    "| `{}`: {} | {} | {} | {} |",
                    d.deviation.id,
                    d.deviation.summary,
                    standing(d.standing),
                    d.deviation.requirements.join(", "),
                    d.deviation
                        .quote
                        .as_deref()
                        .unwrap_or("")
                        .replace('|', "\\|")
                );
            }
        }
        if !report.optional_features.is_empty() {
            let _ = writeln!(
                o,
                "\n## Optional features\n\nA target may leave these out: one not offered is no finding.\n"
            );
            let _ = writeln!(o, "| feature | status | cases |\n|---|---|---|");
            for r in &report.optional_features {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    r.feature,
                    optional::status(r),
                    r.cases.join(", ")
                );
            }
        }
        if let Some(r) = &report.interop {
            let _ = writeln!(
                o,
                "\n## SCIM Interoperability Profile\n\n{}.\n",
                r.headline()
            );
            let _ = writeln!(o, "| area | hold | gaps | not checked |\n|---|---|---|---|");
            for a in &r.areas {
                let gaps = gap_cell(a, |g| {
                    format!(
                        "[{}]({}) ({}): {}; {}",
                        g.id,
                        g.url,
                        g.citation,
                        g.summary,
                        g.cases.join(", ")
                    )
                    .replace('|', "\\|")
                });
                let _ = writeln!(
                    o,
                    "| {} | {}/{} | {} | {} |",
                    a.area,
                    a.hold,
                    a.total,
                    gaps,
                    a.unchecked.join(", ")
                );
            }
            for line in r.notes() {
                let _ = writeln!(o, "\n{line}");
            }
        }
        let _ = writeln!(o, "\n## Findings\n");
        if let Some(line) = findings::headline(&report.cases) {
            let _ = writeln!(o, "{line}.\n");
        }
        if v.findings.is_empty() && v.setups.is_empty() {
            let _ = writeln!(o, "None: every case passed.");
        }
        for f in &v.findings {
            let c = f.cases[0];
            let _ = writeln!(o, "### {} — {}\n", f.title(), label(f.status));
            if f.rows.is_empty() {
                let _ = writeln!(o, "- **Level:** {}; {}", c.level, cited(c));
            }
            for r in &f.rows {
                let _ = writeln!(
                    o,
                    "- **Rule:** {} ([{}]({}))",
                    r.basis_line(),
                    r.citation(),
                    r.url()
                );
            }
            let _ = writeln!(o, "- **Cases ({}):** {}", f.cases.len(), names(f));
            match (&c.deviation, f.status) {
                (Some(d), Status::Documented) => {
                    let _ = writeln!(o, "- **Documented** by the vendor as `{d}`.");
                }
                (_, Status::Undocumented) => {
                    let _ = writeln!(o, "- **Not documented** by profile `{}`.", report.profile);
                }
                _ => {}
            }
            for w in what(c) {
                let _ = writeln!(o, "- {w}");
            }
            if let Some(step) = evidence(c) {
                let _ = writeln!(
                    o,
                    "\nEvidence ({}, {}):\n\n```http\n{}```\n",
                    c.name,
                    step.label,
                    exchange_text(step)
                );
            }
            if let Some(script) = &c.reproduction {
                let _ = writeln!(o, "Reproduction:\n\n```sh\n{script}\n```\n");
            }
        }
        if !v.setups.is_empty() {
            let _ = writeln!(o, "## Setup failures\n");
        }
        for f in &v.setups {
            let c = f.cases[0];
            let blocked: Vec<&str> = f.cases.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(
                o,
                "### {} — blocked {} (setup: {})\n",
                f.symptom,
                blocked.len(),
                f.steps.join("; ")
            );
            let _ = writeln!(o, "- **Cases blocked:** {}", blocked.join(", "));
            for w in what(c) {
                let _ = writeln!(o, "- {w}");
            }
            if let Some(step) = evidence(c) {
                let _ = writeln!(
                    o,
                    "\nEvidence ({}):\n\n```http\n{}```\n",
                    c.name,
                    exchange_text(step)
                );
            }
        }
        o
    }
}

pub struct Html;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The CSS class of a status badge.
fn class(s: Status) -> &'static str {
    match s {
        Status::Failed | Status::Undocumented => "bad",
        Status::Documented => "doc",
        Status::Warning => "warn",
        Status::Passed => "ok",
        Status::Skipped | Status::Blocked | Status::Inconclusive | Status::Interrupted => "skip",
    }
}

const STYLE: &str = r#"
:root{--ink:#1d2330;--mute:#5b6477;--line:#e3e7ee;--bg:#f6f8fb;--bad:#c62f3a;--doc:#2f6fd0;--warn:#b7791f;--ok:#2f855a;--skip:#718096}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#151b29;color:#fff;padding:28px 40px}header h1{margin:0 0 6px;font-size:26px;font-weight:650}header p{margin:0;color:#b8c0d4}
main{max-width:1100px;margin:0 auto;padding:28px 40px 60px}h2{font-size:19px;margin:34px 0 12px}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px}.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card b{display:block;font-size:28px;line-height:1.1}.card span{color:var(--mute);font-size:13px}
.card.bad b{color:var(--bad)}.card.doc b{color:var(--doc)}.card.warn b{color:var(--warn)}.card.ok b{color:var(--ok)}.card.skip b{color:var(--skip)}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:10px;overflow:hidden}
th,td{text-align:left;padding:8px 12px;border-bottom:1px solid var(--line);vertical-align:top}th{background:#eef1f6;font-size:13px;color:var(--mute);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.z{color:#c0c6d2}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.badge.bad{background:var(--bad)}.badge.doc{background:var(--doc)}.badge.warn{background:var(--warn)}.badge.ok{background:var(--ok)}.badge.skip{background:var(--skip)}
.finding{background:#fff;border:1px solid var(--line);border-left:5px solid var(--line);border-radius:10px;padding:16px 20px;margin:14px 0}
.finding.bad{border-left-color:var(--bad)}.finding.doc{border-left-color:var(--doc)}.finding.warn{border-left-color:var(--warn)}
.finding h3{margin:0 0 6px;font-size:16px;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}.meta{color:var(--mute);font-size:13px}
.finding ul{margin:8px 0;padding-left:20px}pre{background:#0f1420;color:#dfe6f3;padding:12px 14px;border-radius:8px;overflow:auto;font-size:12.5px;line-height:1.45}
details summary{cursor:pointer;color:var(--doc);font-weight:600;margin-top:8px}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
.quote{color:var(--mute);font-style:italic}
"#;

impl Reporter for Html {
    fn render(&self, report: &RunReport) -> String {
        let v = View::new(report);
        let mut o = String::new();
        let _ = write!(
            o,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
            esc(&v.title())
        );
        let _ = write!(
            o,
            "<header><h1>{}</h1><p>Target <code>{}</code> · profile <code>{}</code> · scimitar {} · run {}</p></header><main>",
            esc(&v.title()),
            esc(&report.target),
            esc(&report.profile),
            esc(&report.version),
            esc(&report.run_id)
        );
        if let Some(line) = super::unfinished(report) {
            let _ = write!(o, "<p><strong>{}</strong></p>", esc(&line));
        }
        o.push_str("<div class=\"cards\">");
        for (n, what, cls) in [
            (report.passed, "passed", "ok"),
            (report.failed, "failed", "bad"),
            (report.undocumented, "undocumented deviations", "bad"),
            (report.documented, "documented deviations", "doc"),
            (report.warnings, "warnings", "warn"),
            (report.skipped, "skipped", "skip"),
        ] {
            let _ = write!(
                o,
                "<div class=\"card {cls}\"><b>{n}</b><span>{what}</span></div>"
            );
        }
        o.push_str("</div><h2>Requirements by area and level</h2><table><tr><th>area</th><th>level</th><th class=\"n\">met</th><th class=\"n\">documented deviation</th><th class=\"n\">broken</th><th class=\"n\">warning</th></tr>");
        let cell = |n: usize| {
            if n == 0 {
                "<td class=\"n z\">0</td>".to_string()
            } else {
                format!("<td class=\"n\">{n}</td>")
            }
        };
        for ((area, level), c) in &v.matrix {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td>{}{}{}{}</tr>",
                esc(area),
                esc(level),
                cell(c.passed),
                cell(c.documented),
                cell(c.broken),
                cell(c.warned)
            );
        }
        o.push_str("</table>");
        if !report.declarations.is_empty() {
            o.push_str("<h2>Declared deviations</h2><table><tr><th>deviation</th><th>standing</th><th>requirements</th></tr>");
            for d in &report.declarations {
                let cls = match d.standing {
                    Standing::Documented | Standing::Unobservable => "doc",
                    Standing::Stale => "warn",
                    Standing::Unchecked => "skip",
                };
                let _ = write!(
                    o,
                    "<tr><td><code>{}</code> {}<div class=\"quote\">{}</div></td><td><span class=\"badge {cls}\">{}</span></td><td>{}</td></tr>",
                    esc(&d.deviation.id),
                    esc(&d.deviation.summary),
                    esc(d.deviation.quote.as_deref().unwrap_or("")),
                    standing(d.standing),
                    esc(&d.deviation.requirements.join(", "))
                );
            }
            o.push_str("</table>");
        }
        if !report.optional_features.is_empty() {
            o.push_str("<h2>Optional features</h2><p>A target may leave these out: one not offered is no finding.</p><table><tr><th>feature</th><th>status</th><th>cases</th></tr>");
            for r in &report.optional_features {
                let cls = match r.status {
                    Offer::Offered => "ok",
                    Offer::NotOffered => "skip",
                    Offer::Broken => "warn",
                };
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td><span class=\"badge {cls}\">{}</span></td><td><code>{}</code></td></tr>",
                    esc(&r.feature),
                    optional::status(r),
                    esc(&r.cases.join(", "))
                );
            }
            o.push_str("</table>");
        }
        if let Some(r) = &report.interop {
            let _ = write!(
                o,
                "<h2>SCIM Interoperability Profile</h2><p>{}.</p><table><tr><th>area</th><th class=\"n\">hold</th><th>gaps</th><th>not checked</th></tr>",
                esc(&r.headline())
            );
            for a in &r.areas {
                let gaps = gap_cell(a, |g| {
                    format!(
                        "<a href=\"{}\">{}</a> ({}): {}; <code>{}</code>",
                        esc(&g.url),
                        esc(&g.id),
                        esc(&g.citation),
                        esc(&g.summary),
                        esc(&g.cases.join(", "))
                    )
                });
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td class=\"n\">{}/{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&a.area),
                    a.hold,
                    a.total,
                    gaps,
                    esc(&a.unchecked.join(", "))
                );
            }
            o.push_str("</table>");
            for line in r.notes() {
                let _ = write!(o, "<p>{}</p>", esc(&line));
            }
        }
        let _ = write!(o, "<h2>Findings ({})</h2>", v.findings.len());
        if let Some(line) = findings::headline(&report.cases) {
            let _ = write!(o, "<p>{}.</p>", esc(&line));
        }
        if v.findings.is_empty() && v.setups.is_empty() {
            o.push_str("<p>None: every case passed.</p>");
        }
        for f in &v.findings {
            let c = f.cases[0];
            let cls = class(f.status);
            let rule = if f.rows.is_empty() {
                format!("{} · {}", c.level, esc(&cited(c)))
            } else {
                let rows: Vec<String> = f
                    .rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} · <a href=\"{}\">{}</a>",
                            esc(&r.basis_line()),
                            esc(&r.url()),
                            esc(&r.citation())
                        )
                    })
                    .collect();
                rows.join("<br>")
            };
            let _ = write!(
                o,
                "<section class=\"finding {cls}\"><h3>{} <span class=\"badge {cls}\">{}</span></h3><div class=\"meta\">{rule}</div><p>Cases ({}): <code>{}</code></p>",
                esc(&f.title()),
                label(f.status),
                f.cases.len(),
                esc(&names(f))
            );
            match (&c.deviation, f.status) {
                (Some(d), Status::Documented) => {
                    let _ = write!(
                        o,
                        "<p>Documented by the vendor as <code>{}</code>.</p>",
                        esc(d)
                    );
                }
                (_, Status::Undocumented) => {
                    let _ = write!(
                        o,
                        "<p><b>Not documented</b> by profile <code>{}</code>.</p>",
                        esc(&report.profile)
                    );
                }
                _ => {}
            }
            o.push_str("<ul>");
            for w in what(c) {
                let _ = write!(o, "<li>{}</li>", esc(&w));
            }
            o.push_str("</ul>");
            if let Some(step) = evidence(c) {
                let _ = write!(
                    o,
                    "<details open><summary>Evidence: {}, {}</summary><pre>{}</pre></details>",
                    esc(&c.name),
                    esc(&step.label),
                    esc(&exchange_text(step))
                );
            }
            if let Some(script) = &c.reproduction {
                let _ = write!(
                    o,
                    "<details><summary>Reproduce with curl</summary><pre>{}</pre></details>",
                    esc(script)
                );
            }
            o.push_str("</section>");
        }
        if !v.setups.is_empty() {
            o.push_str("<h2>Setup failures</h2>");
        }
        for f in &v.setups {
            let c = f.cases[0];
            let blocked: Vec<&str> = f.cases.iter().map(|c| c.name.as_str()).collect();
            let _ = write!(
                o,
                "<section class=\"finding bad\"><h3>{} <span class=\"badge bad\">blocked {}</span></h3><p>Cases blocked: <code>{}</code></p><ul>",
                esc(&format!("{} (setup: {})", f.symptom, f.steps.join("; "))),
                blocked.len(),
                esc(&blocked.join(", "))
            );
            for w in what(c) {
                let _ = write!(o, "<li>{}</li>", esc(&w));
            }
            o.push_str("</ul>");
            if let Some(step) = evidence(c) {
                let _ = write!(
                    o,
                    "<details open><summary>Evidence: {}</summary><pre>{}</pre></details>",
                    esc(&c.name),
                    esc(&exchange_text(step))
                );
            }
            o.push_str("</section>");
        }
        o.push_str("</main></body></html>\n");
        o
    }
}

/// Reads a JSON run report written by `run --report json=...`.
pub fn read(path: &std::path::Path) -> Result<RunReport, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a scimitar JSON report: {e}", path.display()))
}
