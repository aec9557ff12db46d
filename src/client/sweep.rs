//! The second half of a sweep: what carries the run's marker but the ledger does not list.
//! A Bulk operation answered as failed may still have created its resource, and a server
//! may answer a create with an error and keep it all the same; every such value carries
//! `scimitar-<run id>-`, in the `userName` of a user and the `displayName` of a group.
//!
//! Each endpoint is asked for the values that contain the marker (`co`: a group's name
//! does not start with it), page after page; if the server refuses the filter or answers
//! with something else than a list, its pages are walked instead, at most [`MAX_PAGES`] of
//! [`PAGE`]. What the server answers is never taken on trust: each resource is checked here
//! by [`Ledger::claim`], which takes it as the run's own only if its own attribute carries
//! the marker, and the DELETE then goes through the ledger's guard like any other.

use serde_json::Value;

use super::http::Client;
use super::ledger::Ledger;
use super::record::Outcome;

/// The endpoints searched, with the attribute that carries the marker; groups first, as
/// groups made of users go before them.
const NAMED: &[(&str, &str)] = &[("/Groups", "displayName"), ("/Users", "userName")];

/// Resources asked for in one page.
pub const PAGE: usize = 100;
/// Pages read from one endpoint at most.
pub const MAX_PAGES: usize = 20;

/// Why an endpoint's first page was no list.
struct NotListed {
    status: Option<u16>,
    why: String,
}

impl Client {
    /// Deletes what carries `ledger`'s marker on /Groups and /Users; returns the URLs that
    /// could not be deleted and a line for each search that failed or was cut short.
    pub(super) async fn sweep_marked(&self, ledger: &Ledger) -> Vec<String> {
        let Some(marker) = ledger.marker().filter(|_| ledger.may_have_created()) else {
            return Vec::new();
        };
        let mut left = Vec::new();
        for (endpoint, attribute) in NAMED {
            let url = format!("{}{endpoint}", self.base_url());
            let filter = format!("{attribute} co \"{marker}\"");
            let listing = match self.pages(endpoint, Some(&filter)).await {
                // The filter refused, or not answered with a list: the pages are walked.
                Err(NotListed {
                    status: Some(_), ..
                }) => self.pages(endpoint, None).await,
                listed => listed,
            };
            let resources = match listing {
                // No such endpoint: nothing of the run's can be there.
                Err(NotListed {
                    status: Some(404 | 501),
                    ..
                }) => continue,
                Err(e) => {
                    left.push(format!(
                        "{url}: not searched for what this run left ({})",
                        e.why
                    ));
                    if e.status.is_none() {
                        // No answer at all (refused, timed out): asking again would only wait.
                        break;
                    }
                    continue;
                }
                Ok((resources, cut_short)) => {
                    if let Some(why) = cut_short {
                        left.push(format!(
                            "{url}: searched in part for what this run left ({why})"
                        ));
                    }
                    resources
                }
            };
            for r in &resources {
                if let Some(found) = ledger.claim(self.base_url(), endpoint, attribute, r)
                    && !self.delete(&found).await.deleted()
                {
                    left.push(found);
                }
            }
        }
        left
    }

    /// The resources `endpoint` lists under `filter`, page after page; with why the listing
    /// stopped early, if it did. An error when the first page is no list.
    async fn pages(
        &self,
        endpoint: &str,
        filter: Option<&str>,
    ) -> Result<(Vec<Value>, Option<String>), NotListed> {
        let mut resources = Vec::new();
        let mut start = 1;
        for n in 0..MAX_PAGES {
            let mut query = vec![
                ("startIndex".to_string(), start.to_string()),
                ("count".to_string(), PAGE.to_string()),
            ];
            if let Some(f) = filter {
                query.insert(0, ("filter".to_string(), f.to_string()));
            }
            let (page, total) = match list(&self.search(endpoint, &query).await.outcome) {
                Ok(page) => page,
                Err(e) if n == 0 => return Err(e),
                Err(e) => return Ok((resources, Some(format!("page {}: {}", n + 1, e.why)))),
            };
            if page.is_empty() {
                return Ok((resources, None));
            }
            start += page.len();
            resources.extend(page);
            if start > total {
                return Ok((resources, None));
            }
        }
        Ok((
            resources,
            Some(format!("only the first {} were read", start - 1)),
        ))
    }
}

/// The resources of a ListResponse and its `totalResults`.
fn list(outcome: &Outcome) -> Result<(Vec<Value>, usize), NotListed> {
    let r = match outcome {
        Outcome::Response(r) => r,
        Outcome::Error(e) => {
            return Err(NotListed {
                status: None,
                why: e.clone(),
            });
        }
    };
    let not_a_list = |why: String| NotListed {
        status: Some(r.status),
        why,
    };
    if r.status != 200 {
        return Err(not_a_list(format!("answered {}", r.status)));
    }
    let mut body: Value = serde_json::from_str(&r.body)
        .map_err(|_| not_a_list("answered 200 with no JSON".into()))?;
    let total = body.get("totalResults").and_then(Value::as_u64);
    let page = match body.get_mut("Resources").map(Value::take) {
        None => Some(Vec::new()),
        Some(Value::Array(a)) => Some(a),
        Some(_) => None,
    };
    match (total, page) {
        (Some(t), Some(p)) => Ok((p, usize::try_from(t).unwrap_or(usize::MAX))),
        _ => Err(not_a_list("answered 200 with no ListResponse".into())),
    }
}
