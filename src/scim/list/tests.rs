use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::scim::schema::Registry;

fn users(values: &[Value]) -> Vec<Map<String, Value>> {
    values
        .iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect()
}

fn page(
    all: &[Map<String, Value>],
    q: &Query,
    max: usize,
) -> Result<(usize, Vec<Value>), ScimError> {
    let reg = Registry::core();
    let kind = Kind {
        registry: &reg,
        rt: reg.resource_type("User").unwrap(),
    };
    let hits = select([(kind, all.iter())], q, &Dialect::default())?;
    let page = index_page(&hits, q.start_index, page_size(q.count, max));
    Ok((
        hits.len(),
        page.iter().map(|(_, r)| r["id"].clone()).collect(),
    ))
}

fn sorted_by(by: &str, order: SortOrder) -> Query {
    Query {
        sort_by: Some(by.into()),
        sort_order: order,
        start_index: 1,
        ..Query::default()
    }
}

#[test]
fn sort_follows_case_exact_and_puts_missing_values_last() {
    let all = users(&[
        json!({"id": "1", "userName": "bob"}),
        json!({"id": "2", "userName": "Alice"}),
        json!({"id": "3"}),
        json!({"id": "4", "userName": "carol"}),
    ]);
    let (_, ids) = page(&all, &sorted_by("userName", SortOrder::Ascending), 10).unwrap();
    assert_eq!(ids, ["2", "1", "4", "3"]);
    let (_, ids) = page(&all, &sorted_by("USERNAME", SortOrder::Descending), 10).unwrap();
    assert_eq!(ids, ["3", "4", "1", "2"]);
}

#[test]
fn multi_valued_sort_uses_the_primary_value() {
    let all = users(&[
        json!({"id": "1", "emails": [{"value": "a@x"}, {"value": "z@x", "primary": true}]}),
        json!({"id": "2", "emails": [{"value": "m@x"}]}),
    ]);
    let (_, ids) = page(&all, &sorted_by("emails", SortOrder::Ascending), 10).unwrap();
    assert_eq!(ids, ["2", "1"]);
}

#[test]
fn sort_faults_break_what_they_name() {
    let all = users(&[
        json!({"id": "1", "userName": "bob", "emails": [{"value": "a@x"}, {"value": "z@x", "primary": true}]}),
        json!({"id": "2", "userName": "Alice", "emails": [{"value": "m@x"}]}),
        json!({"id": "3", "userName": "Carol"}),
        json!({"id": "4"}),
    ]);
    let ids = |by: &str, faults: Vec<SortFault>| {
        let q = Query {
            sort_faults: faults,
            ..sorted_by(by, SortOrder::Ascending)
        };
        page(&all, &q, 10).unwrap().1
    };
    assert_eq!(ids("userName", vec![]), ["2", "1", "3", "4"]);
    assert_eq!(
        ids("userName", vec![SortFault::CaseSensitive]),
        ["2", "3", "1", "4"]
    );
    assert_eq!(
        ids("userName", vec![SortFault::MissingFirst]),
        ["4", "2", "1", "3"]
    );
    assert_eq!(ids("emails", vec![]), ["2", "1", "3", "4"]);
    assert_eq!(
        ids("emails", vec![SortFault::FirstValue]),
        ["1", "2", "3", "4"]
    );
}

#[test]
fn date_times_sort_as_instants() {
    let all = users(&[
        json!({"id": "late", "meta": {"created": "2024-01-01T10:00:00+00:00"}}),
        json!({"id": "early", "meta": {"created": "2024-01-01T11:00:00+02:00"}}),
    ]);
    let (_, ids) = page(&all, &sorted_by("meta.created", SortOrder::Ascending), 10).unwrap();
    assert_eq!(ids, ["early", "late"]);
}

#[test]
fn paging_edges() {
    let all = users(
        &(1..=5)
            .map(|i| json!({"id": i.to_string()}))
            .collect::<Vec<_>>(),
    );
    let q = |start: i64, count: Option<i64>| Query {
        start_index: start,
        count,
        ..Query::default()
    };
    assert_eq!(page(&all, &q(1, Some(0)), 10).unwrap(), (5, vec![]));
    assert_eq!(page(&all, &q(1, Some(-3)), 10).unwrap(), (5, vec![]));
    assert_eq!(page(&all, &q(0, Some(1)), 10).unwrap().1, ["1"]);
    assert_eq!(page(&all, &q(9, None), 10).unwrap(), (5, vec![]));
    assert_eq!(
        page(&all, &q(1, Some(100)), 2).unwrap().1.len(),
        2,
        "maxResults caps count"
    );
    assert_eq!(page(&all, &q(4, Some(10)), 10).unwrap().1, ["4", "5"]);
}

#[test]
fn an_unknown_sort_path_is_invalid() {
    let all = users(&[json!({"id": "1"})]);
    assert!(
        page(
            &all,
            &sorted_by("emails[type eq \"work\"]", SortOrder::Ascending),
            10
        )
        .is_err()
    );
}

proptest! {
    /// Walking the pages of a sorted query yields every match exactly once, in order.
    #[test]
    fn pages_partition_the_sorted_results(
        names in proptest::collection::vec("[a-zA-Z]{0,3}", 0..30),
        count in 1i64..7,
    ) {
        let all = users(&names.iter().enumerate()
            .map(|(i, n)| json!({"id": i.to_string(), "userName": n})).collect::<Vec<_>>());
        let full = page(&all, &sorted_by("userName", SortOrder::Ascending), 1000).unwrap().1;
        prop_assert_eq!(full.len(), names.len());
        let mut walked = Vec::new();
        let mut start = 1;
        loop {
            let q = Query { count: Some(count), start_index: start, ..sorted_by("userName", SortOrder::Ascending) };
            let (total, ids) = page(&all, &q, 1000).unwrap();
            prop_assert_eq!(total, names.len());
            prop_assert!(ids.len() as i64 <= count);
            if ids.is_empty() { break; }
            walked.extend(ids);
            start += count;
        }
        prop_assert_eq!(&walked, &full);
        let keys: Vec<String> = full.iter().map(|id| names[id.as_str().unwrap().parse::<usize>().unwrap()].to_lowercase()).collect();
        prop_assert!(keys.windows(2).all(|w| w[0] <= w[1]), "sorted: {:?}", keys);
    }
}
