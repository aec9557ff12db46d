//! Planning: which cases of the loaded suites run, under which names.

use crate::suite::template::LIMITS;
use crate::suite::{Feature, Level, Loaded};

/// A case chosen to run, by position in the loaded suites.
#[derive(Debug, Clone)]
pub struct Planned {
    pub suite: usize,
    pub case: usize,
    /// `suite::case`, the name filters and reports use.
    pub name: String,
    pub level: Level,
    pub requirements: Vec<String>,
    /// Optional features the case needs (its suite's and its own).
    pub requires: Vec<Feature>,
    /// The advertised limits ([`LIMITS`]) its steps refer to.
    pub limits: Vec<String>,
    /// From a vendor profile's own suites (its promises), not from the RFC suites.
    pub vendor: bool,
}

/// Selects the cases carrying every tag asked for (on the suite or the case; no tags, all)
/// and none of `exclude`. Suites from index `vendor_from` on are a vendor profile's own.
pub fn plan(
    suites: &[Loaded],
    tags: &[String],
    exclude: &[String],
    vendor_from: usize,
) -> Vec<Planned> {
    let mut out = Vec::new();
    for (si, l) in suites.iter().enumerate() {
        for (ci, case) in l.suite.cases.iter().enumerate() {
            let c = &case.value;
            let has = |t: &String| l.suite.tags.contains(t) || c.tags.contains(t);
            if !tags.iter().all(has) || exclude.iter().any(has) {
                continue;
            }
            let mut requirements: Vec<String> = l
                .suite
                .requirements
                .iter()
                .chain(&c.requirements)
                .map(|r| r.value.clone())
                .collect();
            requirements.sort();
            requirements.dedup();
            let s = &l.suite;
            let steps = s
                .setup
                .iter()
                .chain(&c.steps)
                .chain(&c.teardown)
                .chain(&s.teardown);
            let mut limits: Vec<String> = steps
                .flat_map(|st| st.value.variables())
                .filter(|v| LIMITS.contains(&v.as_str()))
                .collect();
            limits.sort();
            limits.dedup();
            out.push(Planned {
                suite: si,
                case: ci,
                name: format!("{}::{}", l.suite.name, c.name),
                level: c.level,
                requirements,
                requires: l
                    .suite
                    .requires
                    .iter()
                    .chain(&c.requires)
                    .copied()
                    .collect(),
                limits,
                vendor: si >= vendor_from,
            });
        }
    }
    out
}
