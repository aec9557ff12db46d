//! Defect switches: each breaks exactly one requirement of the bundled server, so scimitar's
//! own tests can prove that the check for that requirement fails when it should.

use clap::ValueEnum;

use serde_json::{Map, Value};

use crate::scim::error::{ScimError, ScimType};
use crate::scim::filter::{AttrPath, CompareOp, Dialect, Filter, Matcher};
use crate::scim::resource::Kind;

use super::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Defect {
    #[value(name = "create-200")]
    Create200,
    NoLocationHeader,
    MetaLocationWrong,
    ClientIdAccepted,
    DuplicateUserName,
    NotFoundWithoutBody,
    ErrorStatusNumber,
    JsonContentType,
    AuthIgnored,
    ListIgnoresFilter,
    CoAsEq,
    FilterCaseSensitive,
    FilterNamesCaseSensitive,
    #[value(name = "bad-filter-500")]
    BadFilter500,
    FilterFailsOnMissing,
    #[value(name = "sub-attribute-filter-500")]
    SubAttributeFilter500,
    SortIgnored,
    TotalResultsPageSize,
    StartIndexZeroBased,
    CountIgnored,
    ExcludedAttributesIgnored,
    PasswordReturned,
    UserGroupsMissing,
    PutKeepsOmitted,
    PatchRemoveIgnored,
    PatchNotAtomic,
    PatchFilteredRemoveWidens,
    PatchFilteredReplaceMerges,
    PatchFilteredReplaceWidens,
    EtagUnchanged,
    IfMatchIgnored,
    #[value(name = "delete-200")]
    Delete200,
    DeleteKeepsResource,
    BulkIdUnresolved,
    BulkLimitsIgnored,
    UnderstatedFeatures,
    MaxResultsIgnored,
    ActiveAsString,
    PatchOpCaseSensitive,
    StringBooleansRejected,
    Overload,
    NextCursorOnLastPage,
    CursorWalkRepeats,
    PreviousCursorOnFirstPage,
    #[value(name = "invalid-cursor-500")]
    InvalidCursor500,
    PathlessReplaceRefused,
    ReadonlyIdInValueRefused,
    EmptyCreateBody,
    // Schema, attributes, users, groups and reads (RFC 7643 §2-4, §7; RFC 7644 §3.4.1, §3.9).
    GetAsList,
    AttributesIgnored,
    SubAttributesSelectParent,
    WriteProjectionIgnored,
    AttributesDropId,
    PasswordReturnedOnRequest,
    SchemasOmitExtension,
    CreateWithoutId,
    IdChangesOnUpdate,
    IdsFromNames,
    BulkIdInId,
    ExternalIdLowerCased,
    ResourceTypeIsEndpoint,
    DateTimeWithSpace,
    LastModifiedLater,
    MetaLocationSingular,
    ExtensionFlattened,
    AttributeNamesCaseSensitive,
    LastModifiedEpoch,
    CreatedWithoutTime,
    PrimaryNotReset,
    NullValueRefused,
    EmptyArrayIgnored,
    UserNameOptional,
    UserNameUniqueCaseSensitive,
    UserGroupsWritable,
    GroupDisplayNameOptional,
    MemberValueMissing,
    ManagerDisplayNameTaken,
    LastModifiedFrozen,
}

impl Defect {
    /// The requirement id (from `rfc-requirements.csv`) it breaks, or `entra`/`okta` for what
    /// only that identity provider's provisioning needs, and what it does.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Defect::Create200 => ("P-create-01", "POST answers 200 instead of 201"),
            Defect::NoLocationHeader => ("P-create-03", "POST answers without a Location header"),
            Defect::MetaLocationWrong => (
                "P-create-04",
                "meta.location misses the endpoint (…/v2/{id})",
            ),
            Defect::ClientIdAccepted => ("P-create-06", "a create keeps the id the client sent"),
            Defect::DuplicateUserName => (
                "P-create-05",
                "a duplicate userName is accepted instead of 409",
            ),
            Defect::NotFoundWithoutBody => ("P-get-02", "404 answers carry no SCIM error body"),
            Defect::ErrorStatusNumber => (
                "P-errors-02",
                "error bodies give status as a number, not a string",
            ),
            Defect::JsonContentType => ("P-media-01", "responses are typed application/json"),
            Defect::AuthIgnored => ("P-errors-05", "requests without a valid token are served"),
            Defect::ListIgnoresFilter => {
                ("P-filter-03", "list queries ignore the filter parameter")
            }
            Defect::CoAsEq => ("P-filter-05", "`co` behaves as `eq`"),
            Defect::FilterCaseSensitive => (
                "P-filter-11",
                "filters compare strings case-sensitively even where caseExact is false",
            ),
            Defect::FilterNamesCaseSensitive => (
                "P-filter-01",
                "attribute names in filters are case-sensitive",
            ),
            Defect::BadFilter500 => ("P-filter-18", "an invalid filter answers 500"),
            Defect::SortIgnored => ("P-sort-02", "sortBy is ignored"),
            Defect::TotalResultsPageSize => {
                ("P-list-02", "totalResults counts the page, not all matches")
            }
            Defect::StartIndexZeroBased => {
                ("P-paging-01", "startIndex is taken as 0-based (off by one)")
            }
            Defect::CountIgnored => ("P-paging-03", "count is ignored"),
            Defect::ExcludedAttributesIgnored => {
                ("P-attributes-02", "excludedAttributes is ignored")
            }
            Defect::PasswordReturned => ("C-user-03", "password is returned in responses"),
            Defect::UserGroupsMissing => {
                ("C-user-07", "a user's groups attribute is never filled in")
            }
            Defect::PutKeepsOmitted => ("P-put-03", "PUT keeps attributes the request omits"),
            Defect::PatchRemoveIgnored => ("P-patch-17", "PATCH remove operations change nothing"),
            Defect::PatchNotAtomic => (
                "P-patch-04",
                "a failing PATCH keeps the operations before the failure",
            ),
            Defect::PatchFilteredRemoveWidens => (
                "P-patch-20",
                "a remove of a sub-attribute of filtered values removes it from every value",
            ),
            Defect::PatchFilteredReplaceMerges => (
                "P-patch-27",
                "a replace of filtered values merges the new value into them",
            ),
            Defect::PatchFilteredReplaceWidens => (
                "P-patch-27",
                "a replace of filtered values replaces every value of the attribute",
            ),
            Defect::EtagUnchanged => ("P-etag-05", "meta.version stays the same on change"),
            Defect::IfMatchIgnored => ("P-etag-03", "a stale If-Match is not refused with 412"),
            Defect::Delete200 => ("P-delete-01", "DELETE answers 200 instead of 204"),
            Defect::DeleteKeepsResource => {
                ("P-delete-02", "DELETE answers 204 but the resource stays")
            }
            Defect::BulkIdUnresolved => ("P-bulk-04", "bulkId references are passed on unresolved"),
            Defect::BulkLimitsIgnored => (
                "P-bulk-08",
                "Bulk requests over maxOperations or maxPayloadSize are processed, not refused with 413",
            ),
            Defect::MaxResultsIgnored => (
                "P-paging-06",
                "a count above filter.maxResults is served in full, not reduced",
            ),
            Defect::ActiveAsString => (
                "C-discovery-04",
                "`active` is answered as the string \"True\"/\"False\", not the boolean /Schemas declares",
            ),
            // Not RFC violations: what Entra sends and such a server refuses.
            Defect::PatchOpCaseSensitive => (
                "entra",
                "PATCH refuses `op` values that are not lower-case (Entra sends `Replace`)",
            ),
            Defect::StringBooleansRejected => (
                "entra",
                "PATCH refuses the strings \"True\"/\"False\" Entra sends for booleans",
            ),
            Defect::PathlessReplaceRefused => (
                "P-patch-22",
                "PATCH refuses operations without a path (Okta deactivates with one)",
            ),
            // Not an RFC violation: the RFC lets a server refuse a readOnly attribute in a PATCH.
            Defect::ReadonlyIdInValueRefused => (
                "okta",
                "PATCH refuses a value naming `id`, even the resource's own (Okta's group rename sends it)",
            ),
            Defect::EmptyCreateBody => (
                "P-create-02",
                "POST answers 201 with an empty body (Okta: \"Create new user returned empty user\")",
            ),
            // Not an RFC violation either: load, which scimitar must tell from non-conformance.
            Defect::Overload => (
                "load",
                "beyond 4 requests in flight at once, requests answer 500 with an HTML page (served ones take at least 25 ms)",
            ),
            Defect::NextCursorOnLastPage => (
                "P-cursor-05",
                "the last page of a cursor walk carries a nextCursor (to an empty page)",
            ),
            Defect::CursorWalkRepeats => (
                "P-cursor-12",
                "each cursor page begins with the last resource of the page before",
            ),
            Defect::PreviousCursorOnFirstPage => (
                "P-cursor-06",
                "the first page of a cursor walk carries a previousCursor",
            ),
            Defect::InvalidCursor500 => ("P-cursor-08", "an invalid cursor answers 500"),
            Defect::FilterFailsOnMissing => (
                "P-filter-03",
                "a filter answers 400 invalidFilter while any stored resource lacks an attribute it names",
            ),
            Defect::SubAttributeFilter500 => (
                "P-filter-03",
                "a valid filter naming a sub-attribute (emails.value) answers 500",
            ),
            Defect::UnderstatedFeatures => (
                "C-discovery-05",
                "ServiceProviderConfig calls bulk, sort and etag unsupported, though they work",
            ),
            // Schema, attributes, users, groups and reads.
            Defect::GetAsList => (
                "P-get-01",
                "GET of a resource answers a ListResponse holding it, not the resource",
            ),
            Defect::AttributesIgnored => ("P-attributes-01", "the attributes parameter is ignored"),
            Defect::SubAttributesSelectParent => (
                "P-attributes-03",
                "attributes naming a sub-attribute (name.givenName) return the whole attribute",
            ),
            Defect::WriteProjectionIgnored => (
                "P-attributes-04",
                "POST, PUT and PATCH responses ignore attributes and excludedAttributes",
            ),
            Defect::AttributesDropId => (
                "C-attributes-01",
                "with attributes given, id is returned only where it is named",
            ),
            Defect::PasswordReturnedOnRequest => (
                "C-attributes-02",
                "password is returned where attributes names it",
            ),
            Defect::SchemasOmitExtension => (
                "C-schema-01",
                "schemas lists only the core schema, not the extensions present",
            ),
            Defect::CreateWithoutId => ("C-schema-02", "the create response carries no id"),
            Defect::IdChangesOnUpdate => {
                ("C-schema-03", "PUT and PATCH give the resource a new id")
            }
            Defect::IdsFromNames => (
                "C-schema-04",
                "ids are the userName or displayName, so a User and a Group of one name share an id",
            ),
            Defect::BulkIdInId => (
                "C-schema-05",
                "a resource created by Bulk gets an id made of its bulkId (bulkId-qwerty-…)",
            ),
            Defect::ExternalIdLowerCased => ("C-schema-06", "externalId is stored in lower case"),
            Defect::ResourceTypeIsEndpoint => (
                "C-schema-07",
                "meta.resourceType names the endpoint (Users), not the resource type",
            ),
            Defect::DateTimeWithSpace => (
                "C-schema-08",
                "meta.created and meta.lastModified separate date and time with a space, not T",
            ),
            Defect::LastModifiedLater => (
                "C-schema-09",
                "a new resource's lastModified is a millisecond after its created",
            ),
            Defect::MetaLocationSingular => (
                "C-schema-11",
                "after a PUT or PATCH, meta.location names the resource type (…/User/{id}), not the endpoint",
            ),
            Defect::ExtensionFlattened => (
                "C-schema-12",
                "extension attributes are returned at the top level, not under their URN",
            ),
            Defect::AttributeNamesCaseSensitive => (
                "C-schema-13",
                "attribute names in a POST body are matched case-sensitively",
            ),
            Defect::LastModifiedEpoch => (
                "C-schema-14",
                "meta.lastModified is returned as a number of milliseconds, not a dateTime string",
            ),
            Defect::CreatedWithoutTime => (
                "C-schema-15",
                "meta.created carries the date without the time",
            ),
            Defect::PrimaryNotReset => (
                "C-schema-16",
                "a PATCH making a value primary leaves the old primary value primary too",
            ),
            Defect::NullValueRefused => (
                "C-schema-18",
                "a PATCH value of null is refused as having the wrong type",
            ),
            Defect::EmptyArrayIgnored => (
                "C-schema-19",
                "a PATCH replace with [] leaves the attribute's values",
            ),
            Defect::UserNameOptional => ("C-user-01", "a User is created without a userName"),
            Defect::UserNameUniqueCaseSensitive => {
                ("C-user-02", "userName uniqueness compares case-sensitively")
            }
            Defect::UserGroupsWritable => (
                "C-user-06",
                "a User created with groups is made a member of those groups",
            ),
            Defect::GroupDisplayNameOptional => {
                ("C-group-01", "a Group is created without a displayName")
            }
            Defect::MemberValueMissing => (
                "C-group-02",
                "group members are returned without value (only $ref and display)",
            ),
            Defect::ManagerDisplayNameTaken => (
                "C-enterprise-02",
                "the enterprise manager.displayName is taken from the request",
            ),
            Defect::LastModifiedFrozen => (
                "C-schema-10",
                "meta.lastModified stays at the create's time through changes",
            ),
        }
    }

    pub fn name(self) -> String {
        self.to_possible_value()
            .expect("no skipped variants")
            .get_name()
            .to_string()
    }
}

/// The switches that are on; a small set, looked up on hot paths.
#[derive(Debug, Clone, Default)]
pub struct Defects(Vec<Defect>);

impl Defects {
    pub fn new(on: impl IntoIterator<Item = Defect>) -> Self {
        Defects(on.into_iter().collect())
    }

    pub fn has(&self, d: Defect) -> bool {
        self.0.contains(&d)
    }
}

/// `co-as-eq`: turns every `co` of a filter into `eq`.
pub fn co_as_eq(f: &mut Filter) {
    match f {
        Filter::Compare { op, .. } if *op == CompareOp::Co => *op = CompareOp::Eq,
        Filter::Compare { .. } | Filter::Present(_) => {}
        Filter::And(a, b) | Filter::Or(a, b) => {
            co_as_eq(a);
            co_as_eq(b);
        }
        Filter::Not(a) | Filter::ValuePath { filter: a, .. } => co_as_eq(a),
    }
}

/// `filter-fails-on-missing`: refuses `f` while any of `resources` has no value for
/// an attribute it names, where a conformant server would just not match that resource
/// (RFC 7644 lines 931-932: only the resources matching are returned).
pub fn refuse_if_any_lacks<'r>(
    f: &Filter,
    kind: &Kind,
    resources: impl Iterator<Item = &'r Map<String, Value>>,
    dialect: &Dialect,
) -> Result<(), ScimError> {
    let mut named = Vec::new();
    attributes(f, &mut named);
    let matcher = Matcher::new(kind, dialect);
    for r in resources {
        for path in &named {
            if !matcher
                .matches(&Filter::Present(path.clone()), r)
                .unwrap_or(true)
            {
                return Err(ScimError::bad(
                    ScimType::InvalidFilter,
                    format!("a resource has no {}", path.attr),
                ));
            }
        }
    }
    Ok(())
}

/// `sub-attribute-filter-500`: whether a filter names a sub-attribute (`emails.value`).
pub fn names_sub_attribute(f: &Filter) -> bool {
    let mut named = Vec::new();
    attributes(f, &mut named);
    named.iter().any(|p| p.sub.is_some())
}

/// The attributes a filter names (a value filter by its attribute).
fn attributes(f: &Filter, out: &mut Vec<AttrPath>) {
    match f {
        Filter::Compare { path, .. } | Filter::Present(path) => out.push(path.clone()),
        Filter::ValuePath { path, .. } => out.push(path.clone()),
        Filter::And(a, b) | Filter::Or(a, b) => {
            attributes(a, out);
            attributes(b, out);
        }
        Filter::Not(a) => attributes(a, out),
    }
}

/// `sub-attributes-select-parent`: `name.givenName` (URN-qualified or not) becomes `name`.
pub fn parent(name: &str) -> String {
    let at = name.rfind(':').map_or(0, |i| i + 1);
    match name[at..].split_once('.') {
        Some((attr, _)) => format!("{}{attr}", &name[..at]),
        None => name.to_string(),
    }
}

/// `last-modified-later`: the instant a millisecond after an xsd:dateTime.
pub fn a_millisecond_later(at: &str) -> String {
    crate::scim::value::parse_datetime(at)
        .and_then(|t| {
            (t + time::Duration::milliseconds(1))
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

/// `attribute-names-case-sensitive`: whether a body member is named exactly as declared.
pub fn exactly_named(kind: Kind, key: &str) -> bool {
    ["schemas", "id", "externalId", "meta"].contains(&key)
        || kind.base().attributes.iter().any(|a| a.name == key)
        || kind.rt.schema_extensions.iter().any(|e| e.schema == key)
}

/// `user-groups-writable`: the groups a create's body names gain the new user as a member.
pub fn join_groups(store: &mut Store, body: &Value, user_id: &str) {
    let groups = crate::scim::value::get_ci(body, "groups").and_then(Value::as_array);
    let ids = groups
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("value").and_then(Value::as_str));
    for gid in ids {
        if let Some(g) = store.get_mut("Group", gid) {
            let members = g
                .entry("members")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(ms) = members {
                ms.push(serde_json::json!({"value": user_id, "type": "User"}));
            }
        }
    }
}

/// `primary-not-reset`: values that were primary before a PATCH are primary after it too.
pub fn keep_primaries(old: &Map<String, Value>, new: &mut Map<String, Value>) {
    for (name, before) in old {
        let Some(Value::Array(items)) = new.get_mut(name) else {
            continue;
        };
        let primaries: Vec<&Value> = before
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i.get("primary") == Some(&Value::Bool(true)))
            .filter_map(|i| i.get("value"))
            .collect();
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            if item.get("value").is_some_and(|v| primaries.contains(&v)) {
                item.insert("primary".into(), Value::Bool(true));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_keeps_the_urn_and_drops_the_sub_attribute() {
        assert_eq!(parent("name.givenName"), "name");
        assert_eq!(parent("userName"), "userName");
        let urn = "urn:ietf:params:scim:schemas:core:2.0:User";
        assert_eq!(
            parent(&format!("{urn}:name.givenName")),
            format!("{urn}:name")
        );
    }

    #[test]
    fn a_millisecond_later_is_a_later_instant() {
        assert_eq!(
            a_millisecond_later("2026-12-06T20:21:38Z"),
            "2026-12-06T20:21:38.001Z"
        );
        assert_eq!(a_millisecond_later("not a time"), "not a time");
    }
}
