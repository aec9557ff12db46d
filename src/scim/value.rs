//! Small helpers over JSON values with SCIM's rules: case-insensitive attribute names
//! (RFC 7643 §2.1) and "null, [] and absent all mean unassigned" (§2.5).

use serde_json::{Map, Value};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// Looks a key up case-insensitively in an object.
pub fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    get_ci_map(v.as_object()?, key)
}

/// Looks a key up case-insensitively in a map.
pub fn get_ci_map<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The actual key under which `key` is stored, if any (case-insensitive).
pub fn key_ci(obj: &Map<String, Value>, key: &str) -> Option<String> {
    if obj.contains_key(key) {
        return Some(key.to_string());
    }
    obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

/// Removes `key` case-insensitively.
pub fn remove_ci(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
    key_ci(obj, key).and_then(|k| obj.remove(&k))
}

/// Mutable case-insensitive lookup.
pub fn get_ci_mut<'v>(obj: &'v mut Map<String, Value>, key: &str) -> Option<&'v mut Value> {
    let k = key_ci(obj, key)?;
    obj.get_mut(&k)
}

/// `null`, `[]` and `{}` carry no value.
pub fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_unassigned),
        _ => false,
    }
}

pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// An hour before now, written at offset +14:00, whole seconds: its date and time read 13
/// hours ahead of UTC, so that a comparison that drops offsets puts it after now.
pub fn hour_ago_east() -> String {
    let east = time::macros::offset!(+14);
    (OffsetDateTime::now_utc() - time::Duration::HOUR)
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond")
        .to_offset(east)
        .format(&Rfc3339)
        .expect("instants near now always format")
}

/// The current instant as an xsd:dateTime.
pub fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .expect("UTC instants always format")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_ago_east_is_an_hour_ago_and_reads_thirteen_hours_ahead() {
        let s = hour_ago_east();
        assert!(s.ends_with("+14:00"), "{s}");
        let t = parse_datetime(&s).unwrap();
        let ago = OffsetDateTime::now_utc() - t;
        assert!(
            ago >= time::Duration::minutes(59) && ago <= time::Duration::minutes(61),
            "{s}"
        );
        let utc = t.to_offset(time::UtcOffset::UTC);
        assert_eq!((t.hour() + 24 - utc.hour()) % 24, 14, "{s}");
    }
}
