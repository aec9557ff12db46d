use proptest::prelude::*;

use super::*;

fn binding() -> Binding {
    Binding::new(&[Some("Users"), Some("userName eq \"a\"")], Some(2))
}

fn at() -> Position {
    Position {
        snapshot: 9,
        anchor: 4,
        offset: 3,
        direction: Direction::Next,
    }
}

fn scim_type(r: Result<Position, ScimError>) -> Option<&'static str> {
    r.err().and_then(|e| e.scim_type).map(ScimType::as_str)
}

#[test]
fn a_cursor_leads_where_it_was_issued_for() {
    let c = Cursors::new(Duration::from_secs(60));
    let token = c.issue(at(), binding());
    assert!(
        token
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-._~".contains(ch)),
        "{token} is not URL-safe"
    );
    assert_eq!(c.read(&token, binding()), Ok(at()));
}

#[test]
fn a_changed_cursor_is_invalid() {
    let c = Cursors::new(Duration::from_secs(60));
    let token = c.issue(at(), binding());
    // Point the cursor at another resource, keeping the signature.
    let forged = token.replacen("9.4.", "9.5.", 1);
    assert_ne!(forged, token);
    assert_eq!(scim_type(c.read(&forged, binding())), Some("invalidCursor"));
    assert_eq!(
        scim_type(c.read("garbage", binding())),
        Some("invalidCursor")
    );
    let other_server = Cursors::new(Duration::from_secs(60));
    assert_eq!(
        scim_type(other_server.read(&token, binding())),
        Some("invalidCursor")
    );
}

#[test]
fn a_cursor_belongs_to_its_query_and_count() {
    let c = Cursors::new(Duration::from_secs(60));
    let token = c.issue(at(), binding());
    let other_filter = Binding::new(&[Some("Users"), Some("userName eq \"b\"")], Some(2));
    assert_eq!(
        scim_type(c.read(&token, other_filter)),
        Some("invalidCursor")
    );
    let other_count = Binding::new(&[Some("Users"), Some("userName eq \"a\"")], Some(3));
    assert_eq!(scim_type(c.read(&token, other_count)), Some("invalidCount"));
}

#[test]
fn a_cursor_expires() {
    let c = Cursors::new(Duration::ZERO);
    let token = c.issue(at(), binding());
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(scim_type(c.read(&token, binding())), Some("expiredCursor"));
}

/// Follows `next` from the first page, recomputing the walk before each page with `change`.
fn walk_all(
    mut walk: Vec<u64>,
    size: usize,
    mut change: impl FnMut(&mut Vec<u64>, usize),
) -> Vec<u64> {
    let mut seen = Vec::new();
    let mut at = None;
    for page in 0..100 {
        let s = slice(&walk, 0, at, size);
        seen.extend_from_slice(&walk[s.range.clone()]);
        match s.next {
            None => return seen,
            Some(n) => at = Some(n),
        }
        change(&mut walk, page);
    }
    panic!("the walk did not end: {seen:?}")
}

#[test]
fn the_first_page_has_no_previous_and_the_last_no_next() {
    let walk = [1, 2, 3];
    let first = slice(&walk, 3, None, 2);
    assert_eq!((first.range.clone(), first.previous), (0..2, None));
    let last = slice(&walk, 3, first.next, 2);
    assert_eq!((last.range.clone(), last.next), (2..3, None));
    let back = slice(&walk, 3, last.previous, 2);
    assert_eq!(back.range, 0..2);
    assert_eq!(slice(&walk, 3, None, 5).next, None);
    assert_eq!(slice(&walk, 3, None, 0).range, 0..0);
    let past_the_end = Position {
        snapshot: 3,
        anchor: 3,
        offset: 2,
        direction: Direction::Next,
    };
    let beyond = slice(&walk, 3, Some(past_the_end), 2);
    assert_eq!(
        (beyond.range, beyond.previous, beyond.next),
        (3..3, None, None)
    );
}

#[test]
fn a_deleted_anchor_skips_nothing() {
    // After each page, delete the resource the page ended with.
    let seen = walk_all((1..=7).collect(), 2, |walk, page| {
        let anchor = [2, 4, 6][page.min(2)];
        walk.retain(|&s| s != anchor);
    });
    assert_eq!(seen, (1..=7).collect::<Vec<_>>());
}

proptest! {
    #[test]
    fn a_walk_visits_each_once(len in 0usize..40, size in 1usize..8) {
        let walk: Vec<u64> = (1..=len as u64).collect();
        prop_assert_eq!(walk_all(walk.clone(), size, |_, _| {}), walk);
    }
}
