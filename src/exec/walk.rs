//! A cursor walk (RFC 9865 §2): the pages after a step's first, and what the walk as a whole
//! must show: every match once, and a last page that says it is the last.

use serde_json::Value;
use serde_saphyr::Spanned;

use super::{Runner, Site, StepRecord};
use crate::client::{Body, Outcome};
use crate::suite::template::{self, Vars};
use crate::suite::{Step, Walk};

/// One page as the walk saw it.
struct Page {
    ids: Vec<String>,
    next: Option<String>,
    previous: Option<String>,
}

impl Page {
    fn of(record: &StepRecord) -> Self {
        let body = match record.exchange.as_ref().map(|x| &x.outcome) {
            Some(Outcome::Response(r)) => serde_json::from_str(&r.body).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
        Page {
            ids: body["Resources"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    r["id"]
                        .as_str()
                        .map_or_else(|| r["id"].to_string(), str::to_string)
                })
                .collect(),
            next: text("nextCursor"),
            previous: text("previousCursor"),
        }
    }
}

impl Runner {
    /// Follows `first`'s cursors and returns a record per further request; the walk's own
    /// failures are on the last request's record.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn walk(
        &self,
        step: &Spanned<Step>,
        walk: &Walk,
        first: &mut StepRecord,
        vars: &mut Vars,
        label: &str,
        fill: bool,
        at: &Site<'_>,
    ) -> Vec<StepRecord> {
        // The loader proves every variable is captured before it is used.
        let visits: Vec<String> = walk
            .visits
            .iter()
            .map(|v| template::render_str(v, vars).unwrap_or_else(|m| format!("{{{{{}}}}}", m.0)))
            .collect();
        // Enough for pages of one, and a few empty ones a server may send (RFC 9865 §2: it
        // "MAY return fewer" than count).
        let limit = visits.len() * 2 + 3;
        // One page: the step again, with the cursor in place of its own.
        let page = async |vars: &mut Vars, label: String, cursor: &str| {
            self.run_step(step, vars, label, false, fill, at, Some(cursor))
                .await
        };
        let mut pages = vec![Page::of(first)];
        let mut records: Vec<StepRecord> = Vec::new();
        while let Some(cursor) = pages.last().and_then(|p| p.next.clone()) {
            if pages.len() >= limit {
                let mut last = records.pop().expect("pages beyond the first have records");
                last.failures.push(format!(
                    "the walk did not end after {limit} pages: every page carried a nextCursor"
                ));
                records.push(last);
                return records;
            }
            let n = pages.len() + 1;
            let record = page(vars, format!("{label}, page {n}"), &cursor).await;
            let failed = !record.failures.is_empty();
            pages.push(Page::of(&record));
            records.push(record);
            if failed {
                return records;
            }
        }
        let mut failures = judge(&pages, &visits, count_of(first));
        if let Some(r) = remark(&pages) {
            match records.last_mut() {
                Some(last) => last.notes.push(r),
                None => first.notes.push(r),
            }
        }
        if walk.back {
            // From the second page on: the first page's previousCursor is a fault of its own
            // (`cursor::first_page_has_no_previous_cursor`).
            for i in 1..pages.len() {
                let Some(cursor) = pages[i].previous.clone() else {
                    continue;
                };
                let label = format!("{label}, previousCursor of page {}", i + 1);
                let record = page(vars, label, &cursor).await;
                let failed = !record.failures.is_empty();
                let before: Vec<&String> = pages[..i].iter().flat_map(|p| &p.ids).collect();
                let back = Page::of(&record);
                records.push(record);
                if failed {
                    // What the forward walk showed is reported too.
                    if let Some(last) = records.last_mut() {
                        last.failures.extend(failures);
                    }
                    return records;
                }
                if let Some(why) = leads_back(&back.ids, &before) {
                    failures.push(format!("page {}'s previousCursor {why}", i + 1));
                    break;
                }
            }
        }
        if !failures.is_empty() {
            failures.push(format!("the walk's pages: {}", shown(&pages)));
            match records.last_mut() {
                Some(last) => last.failures.extend(failures),
                None => first.failures.extend(failures),
            }
        }
        records
    }
}

/// The `count` a walk's first request asked for, in its query or its SearchRequest body.
fn count_of(first: &StepRecord) -> Option<usize> {
    let request = &first.exchange.as_ref()?.request;
    let in_query = url::Url::parse(&request.url).ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "count")
            .and_then(|(_, v)| v.parse().ok())
    });
    in_query.or_else(|| match &request.body {
        Some(Body::Json(b)) => b.get("count")?.as_u64().map(|c| c as usize),
        _ => None,
    })
}

/// What is wrong with a finished walk that should have visited `visits`, each page holding
/// no more than `count` (RFC 9865 §2: the server "MUST NOT return more").
fn judge(pages: &[Page], visits: &[String], count: Option<usize>) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(max) = count
        && let Some((n, p)) = pages.iter().enumerate().find(|(_, p)| p.ids.len() > max)
    {
        failures.push(format!(
            "page {} holds {} resources, more than the count of {max}",
            n + 1,
            p.ids.len()
        ));
    }
    let mut seen: Vec<(&String, usize)> = Vec::new();
    for (n, p) in pages.iter().enumerate() {
        for id in &p.ids {
            if let Some((_, m)) = seen.iter().find(|(s, _)| *s == id) {
                failures.push(format!(
                    "the walk visited {id} twice: on page {} and on page {}",
                    m + 1,
                    n + 1
                ));
            }
            seen.push((id, n));
        }
    }
    for v in visits {
        if !seen.iter().any(|(s, _)| *s == v) {
            failures.push(format!(
                "the walk never visited {v}, which the query matches"
            ));
        }
    }
    for (s, n) in &seen {
        if !visits.contains(s) {
            failures.push(format!(
                "the walk visited {s} on page {}, which the query does not match",
                n + 1
            ));
        }
    }
    failures
}

/// A remark on a finished walk that breaks no rule: RFC 9865 §2 has nextCursor omitted
/// "only to indicate that there are no more result pages", which marks the end by its
/// absence but does not oblige a server that cannot yet tell to omit it; a nextCursor that
/// leads to an empty page costs the client a request.
fn remark(pages: &[Page]) -> Option<String> {
    let [.., before, last] = pages else {
        return None;
    };
    (last.ids.is_empty() && !before.ids.is_empty()).then(|| {
        format!(
            "page {} carried a nextCursor, but there were no more results: the page it led to is empty",
            pages.len() - 1
        )
    })
}

/// Why the page a previousCursor led to is not one before its page (`before`: the ids of
/// the pages before it, in order), if it is not.
fn leads_back(ids: &[String], before: &[&String]) -> Option<String> {
    let just_before = before.last()?;
    if ids.is_empty() {
        return Some("led to an empty page".into());
    }
    if let Some(stray) = ids.iter().find(|id| !before.contains(id)) {
        return Some(format!("led to {stray}, which no earlier page held"));
    }
    (!ids.contains(just_before)).then(|| {
        format!(
            "led to {}, not to the page ending with {just_before}",
            ids.join(", ")
        )
    })
}

/// The ids of each page, `[a, b] [c]`.
fn shown(pages: &[Page]) -> String {
    pages
        .iter()
        .map(|p| format!("[{}]", p.ids.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
