//! The entry points of the cargo-fuzz targets in `fuzz/`, also replayed over a corpus of
//! tricky inputs by the normal tests: each must return, never panic, whatever the bytes.

use std::collections::HashSet;
use std::path::Path;

use crate::scim::filter;

/// A filter expression: parses or is refused; what parses prints back to an expression
/// that parses to the same filter.
pub fn filter(data: &[u8]) {
    round_trip(data, filter::parse);
}

/// A PATCH path, with the same round trip.
pub fn patch_path(data: &[u8]) {
    round_trip(data, filter::parse_patch_path);
}

fn round_trip<T, E>(data: &[u8], parse: fn(&str) -> Result<T, E>)
where
    T: std::fmt::Display + PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
{
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = parse(src) {
        let printed = parsed.to_string();
        let again = parse(&printed).unwrap_or_else(|e| {
            panic!("`{src}` printed as `{printed}`, which does not parse: {e}")
        });
        assert_eq!(
            parsed, again,
            "`{src}` does not survive printing as `{printed}`"
        );
    }
}

/// A suite file: loads or is refused with an error naming the file.
pub fn suite_yaml(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.yaml");
    if let Err(e) = crate::suite::load::parse(path, src, &HashSet::new()) {
        assert!(
            e.to_string().contains("fuzz.yaml"),
            "an error that names no file: {e}"
        );
    }
}
