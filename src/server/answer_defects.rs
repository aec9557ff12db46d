//! The defect switches that bend an answer on its way out, whatever handler made it: each
//! breaks one response invariant (`check::invariants`) the way a server's serialiser might,
//! so that the invariant is shown to fail wherever a case meets it.

use serde_json::Value;

use super::defect::{Defect, Defects};

/// A time long before any resource of the run was created.
const LONG_AGO: &str = "2000-01-01T00:00:00Z";

/// Bends an error body (`status` is its HTTP status).
pub fn error(defects: &Defects, status: u16, body: &mut Value) {
    if status == 409
        && defects.has(Defect::ConflictWithoutScimType)
        && let Some(o) = body.as_object_mut()
    {
        // RFC 7644 lines 623-627: a conflicting create answers 409 with scimType uniqueness.
        o.remove("scimType");
    }
}

/// Bends a successful answer's body: a ListResponse, or one resource.
pub fn success(defects: &Defects, body: &mut Value) {
    if let Some(resources) = body
        .get("Resources")
        .and_then(Value::as_array)
        .map(Vec::len)
    {
        if defects.has(Defect::TotalResultsZero) {
            // RFC 7644 lines 821-825: totalResults counts every match, so never fewer than
            // the page holds.
            body["totalResults"] = 0.into();
        }
        if defects.has(Defect::StartIndexAlwaysOne) && body.get("startIndex").is_some() {
            // RFC 7644 lines 1356-1359: startIndex is the index of the first result returned.
            body["startIndex"] = 1.into();
        }
        for i in 0..resources {
            let r = &mut body["Resources"][i];
            if defects.has(Defect::ListResourcesWithoutId)
                && let Some(o) = r.as_object_mut()
            {
                // RFC 7643 lines 866-867: every resource carries its id.
                o.remove("id");
            }
            resource(defects, r);
        }
    } else if body.get("id").is_some() && body.get("meta").is_some() {
        resource(defects, body);
    }
}

/// Bends one resource of an answer.
fn resource(defects: &Defects, r: &mut Value) {
    if let Some(meta) = r.get_mut("meta").and_then(Value::as_object_mut) {
        if defects.has(Defect::ResourceTypeMissing) {
            // RFC 7643 lines 711-713 and 909-911: meta.resourceType names the type.
            meta.remove("resourceType");
        }
        if defects.has(Defect::ModifiedBeforeCreated) && meta.contains_key("lastModified") {
            // RFC 7643 lines 923-925: lastModified is created until the first change, and
            // never before it.
            meta.insert("lastModified".into(), LONG_AGO.into());
        }
    }
    if defects.has(Defect::CaseExactLowered)
        && let Some(Value::String(e)) = r.get_mut("externalId")
    {
        // RFC 7643 lines 1748-1750: a caseExact value keeps the case it was sent in.
        *e = e.to_lowercase();
    }
}

/// The Content-Location header of a resource answer: none, unless `content-location-wrong`
/// names the collection instead of the resource (RFC 7643 lines 927-929).
pub fn content_location(defects: &Defects, body: &Value) -> Option<String> {
    if !defects.has(Defect::ContentLocationWrong) {
        return None;
    }
    let location = body.pointer("/meta/location").and_then(Value::as_str)?;
    location
        .rsplit_once('/')
        .map(|(collection, _)| collection.to_string())
}
