//! JUnit XML: a test suite per scimitar suite, a test case per case, requirement ids and
//! level as properties so CI dashboards can group by them.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Reporter, RunReport, Status};

pub struct Junit;

impl Reporter for Junit {
    fn render(&self, report: &RunReport) -> String {
        let mut out = Report::new("scimitar");
        out.set_time(Duration::from_secs_f64(report.duration_ms / 1000.0));
        let mut suites: Vec<TestSuite> = Vec::new();
        for c in &report.cases {
            let idx = match suites.iter().position(|s| s.name.as_str() == c.suite) {
                Some(i) => i,
                None => {
                    suites.push(TestSuite::new(c.suite.as_str()));
                    suites.len() - 1
                }
            };
            let fails = c.status.fails_run(c.level);
            let status = match c.status {
                // Inconclusive and interrupted cases checked nothing: neither passed nor
                // failed, kept apart by their `outcome` below.
                Status::Skipped
                | Status::Documented
                | Status::Inconclusive
                | Status::Interrupted => {
                    let mut s = TestCaseStatus::skipped();
                    if let Some(m) = &c.message {
                        s.set_message(m.as_str());
                    }
                    s
                }
                _ if fails => {
                    // A blocked case checked nothing: an error of its set-up, not a failure.
                    let kind = if c.status == Status::Blocked {
                        NonSuccessKind::Error
                    } else {
                        NonSuccessKind::Failure
                    };
                    let mut s = TestCaseStatus::non_success(kind);
                    if let Some(m) = &c.message {
                        s.set_message(m.lines().next().unwrap_or_default());
                        s.set_description(m.as_str());
                    }
                    s
                }
                _ => TestCaseStatus::success(),
            };
            let mut tc = TestCase::new(c.case.as_str(), status);
            tc.set_classname(c.suite.as_str());
            tc.set_time(Duration::from_secs_f64(c.duration_ms / 1000.0));
            tc.add_property(Property::new("level", c.level.to_string()));
            if matches!(
                c.status,
                Status::Warning
                    | Status::Documented
                    | Status::Undocumented
                    | Status::Inconclusive
                    | Status::Interrupted
            ) && !fails
            {
                // Kept apart from failures, never hidden.
                tc.add_property(Property::new("outcome", c.status.as_str()));
                if let Some(m) = &c.message {
                    tc.set_system_err(m.as_str());
                }
            }
            if let Some(d) = &c.deviation {
                tc.add_property(Property::new("deviation", d.as_str()));
            }
            tc.add_property(Property::new("file", c.file.display().to_string()));
            for r in &c.requirements {
                tc.add_property(Property::new("requirement", r.as_str()));
            }
            if let Some(repro) = &c.reproduction {
                tc.set_system_out(repro.as_str());
            }
            suites[idx].add_test_case(tc);
        }
        if !report.invariants.is_empty() {
            // What every answer must show: one test case per finding, failed at MUST.
            let mut suite = TestSuite::new("invariants");
            for i in &report.invariants {
                // A documented one passes; its finding is kept in system-err below.
                let status = if i.fails_run() {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(i.detail.as_str());
                    s
                } else {
                    TestCaseStatus::success()
                };
                let mut tc = TestCase::new(format!("{} {}", i.rule, i.signature), status);
                tc.set_classname("invariants");
                tc.add_property(Property::new("level", i.level.to_string()));
                tc.add_property(Property::new("requirement", i.rule.as_str()));
                tc.set_system_err(i.to_string());
                suite.add_test_case(tc);
            }
            suites.push(suite);
        }
        if let Some(stopped) = report.stopped {
            // Every suite says the run was stopped, as a dashboard may show only one.
            for suite in &mut suites {
                suite.add_property(Property::new("stopped", stopped.cause()));
            }
        }
        out.add_test_suites(suites);
        out.to_string().expect("JUnit XML serialises")
    }
}
