use super::*;

fn page(ids: &[&str], next: bool) -> Page {
    Page {
        ids: ids.iter().map(|s| s.to_string()).collect(),
        next: next.then(|| "c".into()),
        previous: None,
    }
}

fn visits() -> Vec<String> {
    ["a", "b", "c"].map(String::from).to_vec()
}

#[test]
fn a_walk_over_every_match_once_passes() {
    let pages = [page(&["a", "b"], true), page(&["c"], false)];
    assert_eq!(judge(&pages, &visits(), Some(2)), Vec::<String>::new());
    // Fewer than count, even an empty page on the way, is allowed.
    let pages = [
        page(&["a"], true),
        page(&[], true),
        page(&["b", "c"], false),
    ];
    assert_eq!(judge(&pages, &visits(), Some(2)), Vec::<String>::new());
}

#[test]
fn a_repeat_a_gap_and_a_stranger_fail() {
    let pages = [page(&["a", "b"], true), page(&["b", "c"], false)];
    assert_eq!(
        judge(&pages, &visits(), Some(2)),
        ["the walk visited b twice: on page 1 and on page 2"]
    );
    let pages = [page(&["a", "x"], false)];
    let got = judge(&pages, &visits(), Some(2));
    assert!(got.iter().any(|f| f.contains("never visited b")), "{got:?}");
    assert!(
        got.iter().any(|f| f.contains("visited x on page 1")),
        "{got:?}"
    );
}

#[test]
fn a_page_over_count_fails() {
    let pages = [page(&["a", "b", "c"], false)];
    assert_eq!(
        judge(&pages, &visits(), Some(2)),
        ["page 1 holds 3 resources, more than the count of 2"]
    );
    assert_eq!(judge(&pages, &visits(), None), Vec::<String>::new());
}

#[test]
fn a_next_cursor_to_nothing_is_a_remark_not_a_failure() {
    let pages = [page(&["a", "b", "c"], true), page(&[], false)];
    assert_eq!(judge(&pages, &visits(), Some(3)), Vec::<String>::new());
    assert_eq!(
        remark(&pages).as_deref(),
        Some(
            "page 1 carried a nextCursor, but there were no more results: the page it led to is empty"
        )
    );
    assert_eq!(remark(&[page(&["a", "b", "c"], false)]), None);
}

#[test]
fn a_previous_cursor_leads_to_the_page_before() {
    let (a, b, c) = ("a".to_string(), "b".to_string(), "c".to_string());
    let before = [&a, &b];
    assert_eq!(leads_back(&[a.clone(), b.clone()], &before), None);
    assert_eq!(leads_back(std::slice::from_ref(&b), &before), None);
    assert!(
        leads_back(std::slice::from_ref(&a), &before)
            .is_some_and(|w| w.contains("not to the page ending with b"))
    );
    assert!(
        leads_back(std::slice::from_ref(&c), &before)
            .is_some_and(|w| w.contains("no earlier page"))
    );
    assert!(leads_back(&[], &before).is_some());
}
