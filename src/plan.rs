//! Planning: which cases of the loaded suites run, under which names, fitted to what the
//! target declares ([`fit`]).

pub mod fit;

use crate::suite::template::LIMITS;
use serde_saphyr::Spanned;

use crate::suite::{Feature, Level, Loaded, Method, Step, Suite};

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

/// Whether a case only reads: every request of it and of its suite's setup and teardown is
/// a GET or a search, so it may run against a tenant that must not change (`--read-only`).
pub fn changes_nothing(suite: &Suite, case: usize) -> bool {
    let c = &suite.cases[case].value;
    suite
        .setup
        .iter()
        .chain(&c.steps)
        .chain(&c.teardown)
        .chain(&suite.teardown)
        .all(reads)
}

/// Whether a case shares its suite's setup with the suite's other read-only cases rather
/// than running it itself (`exec::Fixture`): its own steps only read (GET, or POST to
/// `/.search` or `/{type}/.search`, RFC 7644 §3.4.3), so they leave the setup's resources as
/// the next case needs them. A setup that uses a limit variable (one per case) is never
/// shared.
pub fn shares_setup(suite: &Suite, case: usize) -> bool {
    let c = &suite.cases[case].value;
    let per_case = |s: &Spanned<Step>| {
        s.value
            .variables()
            .iter()
            .any(|v| LIMITS.contains(&v.as_str()))
    };
    !suite.setup.is_empty()
        && !suite.setup.iter().any(per_case)
        && c.steps.iter().chain(&c.teardown).all(reads)
}

/// Whether a step only reads: a GET, or a search.
fn reads(step: &Spanned<Step>) -> bool {
    let r = &step.value.request;
    r.method == Method::Get || (r.method == Method::Post && r.path.ends_with(".search"))
}

/// One of N shares of a run, for spreading a big run over CI machines as nextest does:
/// `count:K/N` deals the cases round-robin in plan order, `hash:K/N` by a hash of each
/// name, so a case stays on its machine when others are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    by: Deal,
    /// 1-based share.
    k: u32,
    n: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deal {
    Count,
    Hash,
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not count:K/N or hash:K/N with 1 <= K <= N");
        let (by, share) = s.split_once(':').ok_or_else(bad)?;
        let by = match by {
            "count" => Deal::Count,
            "hash" => Deal::Hash,
            _ => return Err(bad()),
        };
        let (k, n) = share.split_once('/').ok_or_else(bad)?;
        let (k, n): (u32, u32) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Partition { by, k, n })
    }
}

impl Partition {
    /// Keeps the planned cases of this share.
    pub fn select(&self, planned: Vec<Planned>) -> Vec<Planned> {
        planned
            .into_iter()
            .enumerate()
            .filter(|(i, p)| {
                let slot = match self.by {
                    Deal::Count => *i as u64,
                    Deal::Hash => fnv1a(&p.name),
                };
                slot % u64::from(self.n) == u64::from(self.k - 1)
            })
            .map(|(_, p)| p)
            .collect()
    }
}

/// FNV-1a: a hash that, unlike std's, is fixed across Rust versions and machines.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Loaded;

    const SUITE: &str = r#"
name: s
tags: [users]
requirements: [P-create-01]
setup:
  - request: {method: POST, path: /Users, body: {userName: "{{unique}}"}}
    expect: {status: 201}
    capture: {id: /id}
cases:
  - name: reads
    level: MUST
    requirements: [P-get-01, P-create-01]
    steps:
      - request: {method: GET, path: "/Users?count={{max_results}}"}
        expect: {status: 200}
  - name: searches
    level: SHOULD
    tags: [search]
    requires: [sort]
    steps:
      - request: {method: POST, path: /Users/.search, body: {}}
        expect: {status: 200}
  - name: writes
    level: MAY
    steps:
      - request: {method: PATCH, path: /Users/someone, body: {}}
        expect: {status: 200}
"#;

    fn loaded(src: &str) -> Loaded {
        let schemas = std::collections::HashSet::new();
        Loaded {
            path: "s.yaml".into(),
            suite: crate::suite::load::parse("s.yaml".as_ref(), src, &schemas).unwrap(),
        }
    }

    fn names(planned: &[Planned]) -> Vec<&str> {
        planned.iter().map(|p| p.name.as_str()).collect()
    }

    /// Tags select on the suite or the case, all of them; an excluded tag drops a case;
    /// requirements are the suite's and the case's, once each; limits are those the steps
    /// use; suites from `vendor_from` on are the profile's own.
    #[test]
    fn cases_are_chosen_by_tags_and_carry_what_they_cite() {
        let suites = [
            loaded(SUITE),
            loaded(&SUITE.replace("name: s\n", "name: v\n")),
        ];
        let all = plan(&suites, &[], &[], 1);
        assert_eq!(
            names(&all),
            [
                "s::reads",
                "s::searches",
                "s::writes",
                "v::reads",
                "v::searches",
                "v::writes"
            ]
        );
        assert_eq!(all[0].requirements, ["P-create-01", "P-get-01"]);
        assert_eq!(all[0].limits, ["max_results"]);
        assert_eq!(all[1].requires, [Feature::Sort]);
        assert_eq!(
            (all[2].level, all[2].vendor, all[3].vendor),
            (Level::May, false, true)
        );
        let tag = |t: &str| vec![t.to_string()];
        assert_eq!(
            names(&plan(&suites[..1], &tag("search"), &[], 1)),
            ["s::searches"]
        );
        assert_eq!(names(&plan(&suites[..1], &tag("users"), &[], 1)).len(), 3);
        let both = [tag("users"), tag("search")].concat();
        assert_eq!(names(&plan(&suites[..1], &both, &[], 1)), ["s::searches"]);
        assert_eq!(
            names(&plan(&suites[..1], &[], &tag("search"), 1)),
            ["s::reads", "s::writes"]
        );
        assert!(plan(&suites[..1], &[], &tag("users"), 1).is_empty());
    }

    /// Read-only: GETs and searches, in the case and in its suite's setup and teardown.
    #[test]
    fn only_gets_and_searches_change_nothing() {
        let reading = SUITE.replace(
            "  - request: {method: POST, path: /Users, body: {userName: \"{{unique}}\"}}\n    expect: {status: 201}\n    capture: {id: /id}",
            "  - request: {method: GET, path: /Users}\n    expect: {status: 200}",
        );
        let suite = loaded(&reading).suite;
        let quiet: Vec<bool> = (0..3).map(|c| changes_nothing(&suite, c)).collect();
        assert_eq!(quiet, [true, true, false]);
        // The setup creates a user: nothing of that suite is read-only.
        let suite = loaded(SUITE).suite;
        assert!((0..3).all(|c| !changes_nothing(&suite, c)));
        let posting = reading.replace("path: /Users/.search", "path: /Users");
        assert!(!changes_nothing(&loaded(&posting).suite, 1));
    }

    /// The read-only cases share the setup, derived from their own steps; a case that
    /// changes anything, a suite without setup, or a setup using a limit, shares nothing.
    #[test]
    fn only_reading_cases_share_the_setup() {
        let suite = loaded(SUITE).suite;
        let sharing: Vec<bool> = (0..3).map(|c| shares_setup(&suite, c)).collect();
        assert_eq!(sharing, [true, true, false]);
        let root = SUITE.replace("path: /Users/.search", "path: /.search");
        assert!(shares_setup(&loaded(&root).suite, 1));
        let posting = SUITE.replace("path: /Users/.search", "path: /Users");
        assert!(!shares_setup(&loaded(&posting).suite, 1));
        let limited = SUITE.replace("userName: \"{{unique}}\"", "userName: \"{{max_results}}\"");
        assert!((0..3).all(|c| !shares_setup(&loaded(&limited).suite, c)));
        let bare = SUITE.replace(
            "setup:\n  - request: {method: POST, path: /Users, body: {userName: \"{{unique}}\"}}\n    expect: {status: 201}\n    capture: {id: /id}\n",
            "",
        );
        assert!((0..3).all(|c| !shares_setup(&loaded(&bare).suite, c)));
    }

    /// Shares deal every case to exactly one machine: by position, or by a hash of the
    /// name that does not depend on the others.
    #[test]
    fn partitions_deal_each_case_once() {
        let suites = [
            loaded(SUITE),
            loaded(&SUITE.replace("name: s\n", "name: t\n")),
        ];
        let all = plan(&suites, &[], &[], 2);
        for by in ["count", "hash"] {
            let shares: Vec<Vec<String>> = (1..=3)
                .map(|k| {
                    let p: Partition = format!("{by}:{k}/3").parse().unwrap();
                    p.select(all.clone()).into_iter().map(|c| c.name).collect()
                })
                .collect();
            let mut dealt: Vec<String> = shares.concat();
            dealt.sort();
            let mut every: Vec<String> = names(&all).iter().map(|n| n.to_string()).collect();
            every.sort();
            assert_eq!(dealt, every, "{by}");
            if by == "count" {
                assert_eq!(shares[0], ["s::reads", "t::reads"]);
            }
        }
        // FNV-1a, as published: fixed across machines and Rust versions.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        let hash: Partition = "hash:2/3".parse().unwrap();
        let picked = names(&hash.select(all.clone()))
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>();
        let expected: Vec<String> = all
            .iter()
            .filter(|p| fnv1a(&p.name) % 3 == 1)
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(picked, expected);
    }

    #[test]
    fn partitions_parse_and_refuse_nonsense() {
        assert!("count:1/3".parse::<Partition>().is_ok());
        assert!("hash:3/3".parse::<Partition>().is_ok());
        for bad in ["count:0/3", "count:4/3", "slice:1/2", "count:1", "hash:a/b"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }
}
