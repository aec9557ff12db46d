//! Defect switches: each breaks exactly one requirement of the bundled server, so scimitar's
//! own tests can prove that the check for that requirement fails when it should.

use clap::ValueEnum;

use serde_json::{Map, Value};

use crate::scim::error::{ScimError, ScimType};
use crate::scim::filter::{AttrPath, CompareOp, Dialect, Fault, Filter, Matcher};
use crate::scim::list::SortFault;
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
    // PUT, PATCH and ETag (RFC 7644 §3.5.1, §3.5.2, §3.14): see update_defects.rs.
    PutKeepsSetValues,
    PutTakesMeta,
    PutTakesId,
    PatchOpsReversed,
    PatchAnswersNoBody,
    PatchReadOnlyIgnored,
    PatchUnknownPathIgnored,
    PatchInvalidValueIgnored,
    PatchPathlessAddIgnored,
    PatchAddReplacesValues,
    PatchAddKeepsSetValue,
    PatchAddReplacesComplex,
    PatchTouchesUnchanged,
    PatchPathlessRemoveIgnored,
    PatchRemoveKeepsValues,
    PatchFilteredRemoveAll,
    PatchRemovesRequired,
    PatchReplaceKeepsSetValue,
    PatchReplaceAppends,
    PatchReplaceMissingNoTarget,
    PatchReplaceComplexWhole,
    PatchFilteredSubReplaceWidens,
    PatchNoTargetIgnored,
    PatchPrimaryNotExclusive,
    PatchExtensionPathRefused,
    EtagHeaderStrong,
    // Create, delete, bulk, errors, media and discovery (issue 28, point 2).
    DeletedStillListed,
    BulkResponseEchoesRequest,
    BulkResultsWithoutLocation,
    BulkStopsAtFirstError,
    ErrorWithoutSchemas,
    ScimJsonRequestRefused,
    NonAsciiRefused,
    ServiceProviderConfigAsList,
    ResourceTypesAsArray,
    SchemasListOffByOne,
    ServiceProviderConfigWithoutEtag,
    SchemaExtensionsWithoutRequired,
    SchemaAttributesWithoutMultiValued,
    UndeclaredExtensionEchoed,
    // Filter, list, sort, paging, search and cursor rules (issue 28).
    ListSchemasMissing,
    FilteredResourcesMissing,
    StartIndexMissing,
    #[value(name = "no-match-404")]
    NoMatch404,
    FilterOperatorsLowerCaseOnly,
    NeCaseSensitive,
    SwCaseSensitive,
    EwCaseSensitive,
    PrMatchesUnassigned,
    GtAsGe,
    BooleanOrderingServed,
    MultiValuedFirstOnly,
    FilterLeftToRight,
    FilterGroupsIgnored,
    UrnNamesMatchNothing,
    DateTimeOffsetsIgnored,
    SortOrderIgnored,
    SortByFirstValue,
    SortCaseSensitive,
    SortMissingFirst,
    StartIndexBelowOneRefused,
    NegativeCountRefused,
    CountZeroIgnored,
    ItemsPerPageRequested,
    SearchIgnoresAttributes,
    CursorPageOverCount,
    CursorNegativeCountIgnored,
    CursorCountZeroIgnored,
    DefaultPagingSwapped,
    SearchIgnoresCursor,
    // Response invariants, wherever a case meets them (issue 28; `answer_defects`).
    ConflictWithoutScimType,
    UniquenessAs400,
    TotalResultsZero,
    StartIndexAlwaysOne,
    ListResourcesWithoutId,
    ResourceTypeMissing,
    ModifiedBeforeCreated,
    CaseExactLowered,
    ContentLocationWrong,
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
    IdIgnoresCase,
    IdFilterIgnoresCase,
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
            // PUT, PATCH and ETag.
            Defect::PutKeepsSetValues => (
                "P-put-02",
                "PUT sets only attributes without a value; the others keep theirs",
            ),
            Defect::PutTakesMeta => ("P-put-04", "PUT stores the meta members the client sends"),
            Defect::PutTakesId => (
                "P-put-08",
                "PUT moves the resource to the id the client sends",
            ),
            Defect::PatchOpsReversed => ("P-patch-03", "PATCH applies its operations last first"),
            Defect::PatchAnswersNoBody => ("P-patch-05", "PATCH answers 200 with no body"),
            Defect::PatchReadOnlyIgnored => (
                "P-patch-06",
                "PATCH skips operations on readOnly attributes instead of failing",
            ),
            Defect::PatchUnknownPathIgnored => (
                "P-patch-07",
                "PATCH skips operations whose path names no attribute instead of failing",
            ),
            Defect::PatchInvalidValueIgnored => (
                "P-patch-08",
                "PATCH skips operations with a value of the wrong type instead of failing",
            ),
            Defect::PatchPathlessAddIgnored => {
                ("P-patch-10", "PATCH add without path changes nothing")
            }
            Defect::PatchAddReplacesValues => (
                "P-patch-11",
                "PATCH add to a multi-valued attribute replaces its values",
            ),
            Defect::PatchAddKeepsSetValue => (
                "P-patch-12",
                "PATCH add to a single-valued attribute with a value keeps the old value",
            ),
            Defect::PatchAddReplacesComplex => (
                "P-patch-13",
                "PATCH add to a complex attribute replaces it whole, dropping sub-attributes not given",
            ),
            Defect::PatchTouchesUnchanged => (
                "P-patch-15",
                "every PATCH sets meta.lastModified, also one that changes nothing",
            ),
            Defect::PatchPathlessRemoveIgnored => (
                "P-patch-16",
                "PATCH remove without path is skipped, not refused with 400 noTarget",
            ),
            Defect::PatchRemoveKeepsValues => (
                "P-patch-18",
                "PATCH remove of a multi-valued attribute removes only its first value",
            ),
            Defect::PatchFilteredRemoveAll => (
                "P-patch-19",
                "PATCH remove with a value filter removes every value of the attribute",
            ),
            Defect::PatchRemovesRequired => (
                "P-patch-21",
                "PATCH removes a required attribute instead of failing with mutability",
            ),
            Defect::PatchReplaceKeepsSetValue => (
                "P-patch-23",
                "PATCH replace of a single-valued attribute with a value keeps the old value",
            ),
            Defect::PatchReplaceAppends => (
                "P-patch-24",
                "PATCH replace of a multi-valued attribute appends the new values",
            ),
            Defect::PatchReplaceMissingNoTarget => (
                "P-patch-25",
                "PATCH replace of an unassigned attribute fails with 400 noTarget",
            ),
            Defect::PatchReplaceComplexWhole => (
                "P-patch-26",
                "PATCH replace of a complex attribute drops the sub-attributes not given",
            ),
            Defect::PatchFilteredSubReplaceWidens => (
                "P-patch-28",
                "PATCH replace of attr[filter].sub sets the sub-attribute of every value",
            ),
            Defect::PatchNoTargetIgnored => (
                "P-patch-29",
                "PATCH replace with a value filter matching nothing is skipped, not refused",
            ),
            Defect::PatchPrimaryNotExclusive => (
                "P-patch-30",
                "PATCH making a value primary leaves the old primary value primary too",
            ),
            Defect::PatchExtensionPathRefused => (
                "P-patch-31",
                "PATCH refuses paths qualified with an extension URN (400 invalidPath)",
            ),
            Defect::EtagHeaderStrong => {
                ("P-etag-02", "the ETag header drops the W/ of meta.version")
            }
            // Create, delete, bulk, errors, media and discovery (issue 28, point 2).
            Defect::DeletedStillListed => (
                "P-delete-03",
                "a deleted resource is gone by id but still found by queries (a soft delete)",
            ),
            Defect::BulkResponseEchoesRequest => (
                "P-bulk-02",
                "a BulkResponse names the BulkRequest URN in schemas",
            ),
            Defect::BulkResultsWithoutLocation => {
                ("P-bulk-03", "Bulk operation results carry no location")
            }
            Defect::BulkStopsAtFirstError => (
                "P-bulk-05",
                "without failOnErrors, Bulk stops at the first failed operation",
            ),
            Defect::ErrorWithoutSchemas => ("P-errors-01", "error bodies carry no schemas member"),
            Defect::ScimJsonRequestRefused => (
                "P-media-02",
                "request bodies typed application/scim+json are refused with 415",
            ),
            Defect::NonAsciiRefused => (
                "P-media-04",
                "request bodies with non-ASCII characters are refused as invalid JSON",
            ),
            Defect::ServiceProviderConfigAsList => (
                "P-discovery-01",
                "GET /ServiceProviderConfig answers a ListResponse holding the configuration",
            ),
            Defect::ResourceTypesAsArray => (
                "P-discovery-02",
                "GET /ResourceTypes answers a bare JSON array, not a ListResponse",
            ),
            Defect::SchemasListOffByOne => (
                "P-discovery-03",
                "GET /Schemas leaves out the first schema (startIndex 1 taken as an offset)",
            ),
            Defect::ServiceProviderConfigWithoutEtag => (
                "C-discovery-01",
                "the ServiceProviderConfig has no etag member",
            ),
            Defect::SchemaExtensionsWithoutRequired => (
                "C-discovery-02",
                "ResourceType schemaExtensions entries carry no `required`",
            ),
            Defect::SchemaAttributesWithoutMultiValued => (
                "C-discovery-03",
                "Schema attributes leave out multiValued where it is false",
            ),
            Defect::UndeclaredExtensionEchoed => (
                "C-schema-01",
                "a create answers with every URN the request's schemas lists, undeclared ones too",
            ),
            // Filter, list, sort, paging, search and cursor rules (issue 28).
            Defect::ListSchemasMissing => ("P-list-01", "list responses carry no `schemas`"),
            Defect::FilteredResourcesMissing => (
                "P-list-03",
                "a filtered list answers totalResults but no Resources",
            ),
            Defect::StartIndexMissing => (
                "P-list-04",
                "index-paged list responses carry no startIndex",
            ),
            Defect::NoMatch404 => ("P-list-05", "a filter matching nothing answers 404"),
            Defect::FilterOperatorsLowerCaseOnly => (
                "P-filter-02",
                "filter operators (`eq`, `and`, ...) are known in lower case only",
            ),
            Defect::NeCaseSensitive => (
                "P-filter-04",
                "`ne` compares strings case-sensitively even where caseExact is false",
            ),
            Defect::SwCaseSensitive => (
                "P-filter-06",
                "`sw` compares strings case-sensitively even where caseExact is false",
            ),
            Defect::EwCaseSensitive => (
                "P-filter-07",
                "`ew` compares strings case-sensitively even where caseExact is false",
            ),
            Defect::PrMatchesUnassigned => (
                "P-filter-08",
                "`pr` matches resources without a value for the attribute",
            ),
            Defect::GtAsGe => ("P-filter-09", "`gt` also matches equal values (as `ge`)"),
            Defect::BooleanOrderingServed => (
                "P-filter-10",
                "gt/ge/lt/le on a boolean answer 200 (matching nothing), not 400 invalidFilter",
            ),
            Defect::MultiValuedFirstOnly => (
                "P-filter-12",
                "a filter on a multi-valued attribute looks at its first value only",
            ),
            Defect::FilterLeftToRight => {
                ("P-filter-13", "`and` and `or` bind equally, from the left")
            }
            Defect::FilterGroupsIgnored => ("P-filter-14", "parentheses in filters are ignored"),
            Defect::UrnNamesMatchNothing => (
                "P-filter-17",
                "a filter naming an attribute with its schema URN matches nothing",
            ),
            Defect::DateTimeOffsetsIgnored => (
                "P-filter-21",
                "gt/ge/lt/le compare dateTime values by the time they read, ignoring offsets",
            ),
            Defect::SortOrderIgnored => ("P-sort-03", "sortOrder is ignored (always ascending)"),
            Defect::SortByFirstValue => (
                "P-sort-04",
                "sorting by a multi-valued attribute uses its first value, not the primary one",
            ),
            Defect::SortCaseSensitive => (
                "P-sort-05",
                "strings sort case-sensitively even where caseExact is false",
            ),
            Defect::SortMissingFirst => (
                "P-sort-06",
                "resources without a value for sortBy sort first in ascending order",
            ),
            Defect::StartIndexBelowOneRefused => {
                ("P-paging-02", "a startIndex below 1 answers 400")
            }
            Defect::NegativeCountRefused => {
                ("P-paging-04", "a negative count answers 400 (index paging)")
            }
            Defect::CountZeroIgnored => {
                ("P-paging-05", "count=0 answers a full page (index paging)")
            }
            Defect::ItemsPerPageRequested => (
                "P-paging-07",
                "itemsPerPage gives the count asked for, not the page's size",
            ),
            Defect::SearchIgnoresAttributes => (
                "P-search-03",
                "POST .search ignores attributes and excludedAttributes in its body",
            ),
            Defect::CursorPageOverCount => (
                "P-cursor-02",
                "a cursor page holds one resource more than count",
            ),
            Defect::CursorNegativeCountIgnored => (
                "P-cursor-03",
                "a negative count is ignored in cursor paging (a full page)",
            ),
            Defect::CursorCountZeroIgnored => (
                "P-cursor-04",
                "count=0 answers a full page in cursor paging",
            ),
            Defect::DefaultPagingSwapped => (
                "P-cursor-09",
                "a request naming no paging method is paged by the method that is not the advertised default",
            ),
            Defect::SearchIgnoresCursor => (
                "P-cursor-10",
                "POST .search ignores cursor in its body and pages by index",
            ),
            // Response invariants.
            Defect::ConflictWithoutScimType => ("P-create-05", "409 answers carry no scimType"),
            Defect::UniquenessAs400 => (
                "P-create-05",
                "a uniqueness conflict answers 400, as RFC 7643 allows, not the 409 RFC 7644 requires",
            ),
            Defect::TotalResultsZero => (
                "P-list-02",
                "list answers say totalResults 0 whatever they return",
            ),
            Defect::StartIndexAlwaysOne => (
                "P-paging-01",
                "list answers say startIndex 1 whatever was asked",
            ),
            Defect::ListResourcesWithoutId => {
                ("C-schema-02", "resources in list answers carry no id")
            }
            Defect::ResourceTypeMissing => (
                "C-schema-07",
                "resources are answered without meta.resourceType",
            ),
            Defect::ModifiedBeforeCreated => (
                "C-schema-09",
                "meta.lastModified is answered as a time before meta.created",
            ),
            Defect::CaseExactLowered => (
                "C-schema-06",
                "externalId (caseExact) is answered in lower case",
            ),
            Defect::ContentLocationWrong => (
                "C-schema-11",
                "resource answers carry a Content-Location header naming their collection",
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
            Defect::IdIgnoresCase => (
                "I-case-03",
                "a GET finds a resource by its id written in another case",
            ),
            Defect::IdFilterIgnoresCase => (
                "I-case-03",
                "a filter `id eq` matches the id written in another case",
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

/// The defects that make the server misread or misevaluate filters, and how.
pub const FILTER_FAULTS: [(Defect, Fault); 12] = [
    (
        Defect::FilterOperatorsLowerCaseOnly,
        Fault::LowerCaseOperators,
    ),
    (Defect::FilterLeftToRight, Fault::LeftToRight),
    (Defect::FilterGroupsIgnored, Fault::GroupsIgnored),
    (Defect::NeCaseSensitive, Fault::NeCaseExact),
    (Defect::SwCaseSensitive, Fault::SwCaseExact),
    (Defect::EwCaseSensitive, Fault::EwCaseExact),
    (Defect::GtAsGe, Fault::GtAsGe),
    (Defect::BooleanOrderingServed, Fault::OrderingBooleans),
    (Defect::MultiValuedFirstOnly, Fault::FirstValueOnly),
    (Defect::PrMatchesUnassigned, Fault::PresentAlways),
    (Defect::DateTimeOffsetsIgnored, Fault::OffsetsIgnored),
    (Defect::IdFilterIgnoresCase, Fault::IdFolded),
];

/// The defects that make the server sort wrongly, and how.
pub const SORT_FAULTS: [(Defect, SortFault); 3] = [
    (Defect::SortCaseSensitive, SortFault::CaseSensitive),
    (Defect::SortByFirstValue, SortFault::FirstValue),
    (Defect::SortMissingFirst, SortFault::MissingFirst),
];

/// `urn-names-match-nothing`: takes each schema-qualified name as one whole attribute name
/// (`urn:...:User:userName`), which no resource has.
pub fn urn_names_whole(f: &mut Filter) {
    let whole = |p: &mut AttrPath| {
        if let Some(urn) = p.urn.take() {
            p.attr = format!("{urn}:{}", p.attr);
        }
    };
    match f {
        Filter::Compare { path, .. } | Filter::Present(path) => whole(path),
        Filter::ValuePath { path, filter } => {
            whole(path);
            urn_names_whole(filter);
        }
        Filter::And(a, b) | Filter::Or(a, b) => {
            urn_names_whole(a);
            urn_names_whole(b);
        }
        Filter::Not(a) => urn_names_whole(a),
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

/// `undeclared-extension-echoed`: adds to the created resource's `schemas` the URNs the
/// request listed that it lacks, as a server that copies the client's `schemas` does, where
/// RFC 7643 lines 711-713 allow only the resource type's schema and schemaExtensions.
pub fn echo_schemas(body: &Value, r: &mut Map<String, Value>) {
    let sent = body.get("schemas").and_then(Value::as_array);
    if let Some(Value::Array(kept)) = r.get_mut("schemas") {
        for urn in sent.into_iter().flatten() {
            if !kept.contains(urn) {
                kept.push(urn.clone());
            }
        }
    }
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

/// The resource whose id is `id` in another case (ids are case-exact, RFC 7643 §3.1).
pub fn find_ignoring_case<'s>(
    store: &'s Store,
    rt: &str,
    id: &str,
) -> Option<&'s Map<String, Value>> {
    store.all(rt).find(|r| {
        r.get("id")
            .and_then(Value::as_str)
            .is_some_and(|x| x.eq_ignore_ascii_case(id))
    })
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
