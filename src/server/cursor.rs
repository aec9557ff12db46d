//! Cursor paging of the bundled server (RFC 9865). A cursor is opaque to the client
//! (§2: "URL-safe strings that are opaque to the client"), signed so that a forged or
//! changed one is refused as `invalidCursor` (§5.2), and bound to a snapshot of the store:
//! a walk sees the resources that existed when it began, so creates meanwhile neither repeat
//! nor push out one of them. A page continues after the resource the previous page ended
//! with, so deleting others meanwhile skips nothing; where that resource itself was deleted,
//! its offset stands in, which is exact unless others before it went too.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::scim::error::{ScimError, ScimType};

/// Which way a cursor leads from the page that handed it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To the page after the one that ended with `anchor`.
    Next,
    /// To the page before the one that began with `anchor`.
    Previous,
}

/// Where a cursor leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The store's high-water mark when the walk began: newer resources are not in it.
    pub snapshot: u64,
    /// The creation sequence number of the resource the page is next to.
    pub anchor: u64,
    /// That resource's offset in the walk, for when it has been deleted meanwhile.
    pub offset: usize,
    pub direction: Direction,
}

/// The query a cursor belongs to: a follow-up must repeat it (RFC 9865 §2, a client "MUST
/// query the same service provider endpoint with all query parameters and values being
/// identical").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Hash of the endpoint, filter and sort.
    pub query: u64,
    pub count: Option<i64>,
}

impl Binding {
    pub fn new(parts: &[Option<&str>], count: Option<i64>) -> Self {
        let mut h = DefaultHasher::new();
        parts.hash(&mut h);
        Binding {
            query: h.finish(),
            count,
        }
    }
}

/// Issues and reads the server's cursors.
pub struct Cursors {
    key: hmac::Key,
    timeout: Duration,
}

impl Cursors {
    pub fn new(timeout: Duration) -> Self {
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .expect("the system random generator works");
        Cursors {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            timeout,
        }
    }

    /// The cursor for `at`, valid for the timeout from now.
    pub fn issue(&self, at: Position, binding: Binding) -> String {
        let expires = now() + self.timeout.as_secs();
        let payload = format!(
            "{}.{}.{}.{}.{}.{:x}.{}",
            at.snapshot,
            at.anchor,
            at.offset,
            match at.direction {
                Direction::Next => 'n',
                Direction::Previous => 'p',
            },
            expires,
            binding.query,
            binding.count.map_or("-".to_string(), |c| c.to_string()),
        );
        let tag = hmac::sign(&self.key, payload.as_bytes());
        format!("{payload}.{}", hex(tag.as_ref()))
    }

    /// Where `cursor` leads, if this server issued it for `binding` and it has not expired.
    pub fn read(&self, cursor: &str, binding: Binding) -> Result<Position, ScimError> {
        let invalid = || {
            ScimError::bad(
                ScimType::InvalidCursor,
                "the cursor was not issued by this server, or was changed",
            )
        };
        let (payload, tag) = cursor.rsplit_once('.').ok_or_else(invalid)?;
        let tag = unhex(tag).ok_or_else(invalid)?;
        hmac::verify(&self.key, payload.as_bytes(), &tag).map_err(|_| invalid())?;
        let f: Vec<&str> = payload.split('.').collect();
        let [snapshot, anchor, offset, direction, expires, query, count] = f[..] else {
            return Err(invalid());
        };
        let number = |s: &str| s.parse::<u64>().map_err(|_| invalid());
        if number(expires)? < now() {
            return Err(ScimError::bad(
                ScimType::ExpiredCursor,
                format!(
                    "the cursor has expired: cursors last {} seconds",
                    self.timeout.as_secs()
                ),
            ));
        }
        let issued_for = Binding {
            query: u64::from_str_radix(query, 16).map_err(|_| invalid())?,
            count: match count {
                "-" => None,
                c => Some(c.parse().map_err(|_| invalid())?),
            },
        };
        if issued_for.query != binding.query {
            return Err(ScimError::bad(
                ScimType::InvalidCursor,
                "the cursor belongs to another query: repeat the first request's parameters",
            ));
        }
        if issued_for.count != binding.count {
            return Err(ScimError::bad(
                ScimType::InvalidCount,
                "count must stay that of the walk's first request",
            ));
        }
        Ok(Position {
            snapshot: number(snapshot)?,
            anchor: number(anchor)?,
            offset: number(offset)? as usize,
            direction: match direction {
                "n" => Direction::Next,
                "p" => Direction::Previous,
                _ => return Err(invalid()),
            },
        })
    }
}

/// One cursor page of a walk's resources (their creation sequence numbers, in the walk's
/// order): the range it holds and the positions before and after it, where there is a page.
#[derive(Debug, PartialEq, Eq)]
pub struct Slice {
    pub range: std::ops::Range<usize>,
    pub previous: Option<Position>,
    pub next: Option<Position>,
}

/// The page `at` leads to (the first page when `at` is None) of `size` resources.
pub fn slice(walk: &[u64], snapshot: u64, at: Option<Position>, size: usize) -> Slice {
    // A deleted anchor's place is taken by the resource after it: its offset is where to go on.
    let find = |p: Position| {
        walk.iter()
            .position(|&s| s == p.anchor)
            .ok_or(p.offset.min(walk.len()))
    };
    let range = match at {
        None => 0..size.min(walk.len()),
        Some(p) => match p.direction {
            Direction::Next => {
                let start = find(p).map_or_else(|gone| gone, |i| i + 1);
                start..start.saturating_add(size).min(walk.len())
            }
            Direction::Previous => {
                let end = find(p).unwrap_or_else(|gone| gone);
                end.saturating_sub(size)..end
            }
        },
    };
    let previous = (range.start > 0 && range.start < walk.len()).then(|| Position {
        snapshot,
        anchor: walk[range.start],
        offset: range.start,
        direction: Direction::Previous,
    });
    let next = (range.end < walk.len() && !range.is_empty()).then(|| Position {
        snapshot,
        anchor: walk[range.end - 1],
        offset: range.end - 1,
        direction: Direction::Next,
    });
    Slice {
        range,
        previous,
        next,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
