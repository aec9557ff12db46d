//! Vendor profiles (`fixtures/profiles/*.yaml`): how a server family behaves, as data. The
//! bundled server reads a profile's `emulation` to reproduce it; `run --profile` reads its
//! declared `deviations` to classify results, its `fill` to make the RFC suites' creates
//! acceptable to the vendor, and its `suites` for the vendor's own promises. `rfc` is the
//! strict default.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::scim::filter::Dialect;
use crate::scim::schema::{Registry, Schema, SchemaExtension};

/// The built-in profiles (`fixtures/profiles/*.yaml`, a profile's name is its file's stem),
/// `rfc` (the default) first, then by name: (name, path, text).
fn builtin() -> Vec<(String, std::path::PathBuf, &'static str)> {
    let mut out: Vec<_> = crate::builtin::folder("fixtures/profiles", "yaml")
        .into_iter()
        .map(|(path, text)| {
            let name = path
                .file_stem()
                .expect("a file has a name")
                .to_string_lossy()
                .into_owned();
            (name, path, text)
        })
        .collect();
    out.sort_by_key(|(name, _, _)| (name != "rfc", name.clone()));
    out
}

/// The names of the built-in profiles, `rfc` first.
pub fn builtin_names() -> Vec<String> {
    builtin().into_iter().map(|(name, _, _)| name).collect()
}

/// What a profile adds to creates: endpoint (`/Users`) → members.
pub type Fill = BTreeMap<String, serde_json::Map<String, serde_json::Value>>;

/// Adds to `obj` each of `members` it lacks (names compared case-insensitively; into a
/// complex member it has, what that lacks), rendered with `vars`; the one way both the suites and the fuzzer complete a vendor's creates.
pub fn fill_missing(
    obj: &mut serde_json::Map<String, serde_json::Value>,
    members: &serde_json::Map<String, serde_json::Value>,
    vars: &crate::suite::template::Vars,
) {
    for (k, v) in members {
        let have = obj
            .iter_mut()
            .find(|(have, _)| have.eq_ignore_ascii_case(k));
        match (have, v) {
            // A complex member the create has: what it lacks of it (`name.middleName`).
            (Some((_, serde_json::Value::Object(inner))), serde_json::Value::Object(wanted)) => {
                fill_missing(inner, wanted, vars);
            }
            (Some(_), _) => {}
            (None, v) => {
                if let Ok(v) = crate::suite::template::render_value(v, vars) {
                    obj.insert(k.clone(), v);
                }
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub title: String,
    /// Where the vendor documents the behaviour.
    #[serde(default)]
    pub source: Option<String>,
    pub emulation: Emulation,
    /// Members the vendor requires on a create beyond the RFC's, by endpoint (`/Users`); the
    /// harness adds them to the RFC suites' creates where absent, so that one documented
    /// requirement does not mask every other result. Strings are templates (`{{unique}}`).
    #[serde(default)]
    pub fill: Fill,
    /// What the vendor documents as departing from the RFC.
    #[serde(default)]
    pub deviations: Vec<Deviation>,
    /// Suite files (globs) with the vendor's own promises, run with the profile.
    #[serde(default)]
    pub suites: Vec<String>,
    /// Whose levels the results are judged by: the RFC's, or the interop profile's laid
    /// over them ([`crate::interop`]).
    #[serde(default)]
    pub levels: Levels,
}

/// The catalogue whose levels judge a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Levels {
    /// RFC 7643/7644 (`fixtures/rfc-requirements.csv`).
    #[default]
    Rfc,
    /// The SCIM 2.0 Interoperability Profile (`fixtures/interop-requirements.csv`) over the
    /// RFC's: its rows raise the RFC rows they name, its conflicts override them, and its
    /// client rows bind scimitar's own requests.
    Interop,
}

/// One documented departure from the RFC, tied to the requirement ids it breaks.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    pub id: String,
    pub summary: String,
    /// The vendor's own words.
    #[serde(default)]
    pub quote: Option<String>,
    /// Requirement ids a case may fail because of it: such a failure is documented.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// False for what no request can show (a token's lifetime).
    #[serde(default = "observable")]
    pub observable: bool,
}

fn observable() -> bool {
    true
}

/// What a server does where RFC 7644 leaves a choice or where a vendor deviates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emulation {
    #[serde(default)]
    pub filter: Dialect,
    pub discovery_filter: DiscoveryFilter,
    pub me: MeAnswer,
    pub bulk: Bulk,
    /// POST `/.search`, at the root and on each resource type.
    pub search: bool,
    pub meta_location: bool,
    pub put: PutMode,
    /// `filter.maxResults`: the most resources one list answer carries.
    pub max_results: usize,
    /// Attributes required beyond the schema's own, by resource type; `name.formatted` names a
    /// sub-attribute (its parent is then required too).
    #[serde(default)]
    pub required: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub extensions: Vec<Extension>,
    /// The attributes the server declares, by resource type (`User: [userName,
    /// name.givenName, emails]`); a resource type not listed keeps its whole RFC schema. A
    /// bare name keeps the attribute with all its sub-attributes, `name.givenName` keeps
    /// `name` with only the sub-attributes named. The common attributes (`id`, `externalId`,
    /// `meta`) are declared for every resource type whatever the list says (RFC 7643 §3.1:
    /// they "MUST be defined for all resources"). What is not declared is ignored on input
    /// and never returned (RFC 7644 §3.1: a server "may only support a subset of the schema"
    /// and "interprets a request in the context of its own schema").
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Whether the schema extensions RFC 7643 defines (the enterprise User, §4.3) are kept;
    /// the profile's own `extensions` are added either way.
    #[serde(default = "yes")]
    pub core_extensions: bool,
    /// Whether `sortBy` is supported (RFC 7644 §3.4.2.3: "Sort is OPTIONAL"). Without it
    /// `sortBy` and `sortOrder` are ignored, as unrecognised query parameters are (§3.4.2:
    /// servers "SHOULD ignore any query parameters they do not recognize instead of
    /// rejecting the query").
    #[serde(default = "yes")]
    pub sort: bool,
    /// Whether resources are versioned (RFC 7644 §3.14: ETags are a MAY). Without it no
    /// `meta.version` and no `ETag` header are given, and `If-Match`/`If-None-Match` are not
    /// acted upon.
    #[serde(default = "yes")]
    pub etag: bool,
    /// What a member of a path-less PATCH value that names no declared attribute gets.
    #[serde(default)]
    pub patch_undeclared: PatchUndeclared,
    /// The paging methods offered (RFC 9865); index paging alone unless a profile says more.
    #[serde(default)]
    pub pagination: Pagination,
    /// Whether a User needs an email address, in `emails` or as its userName.
    #[serde(default)]
    pub email_identity: bool,
    /// Whether two resources of a type may not share an externalId (409 uniqueness).
    #[serde(default)]
    pub unique_external_id: bool,
    /// What a create, PUT or PATCH value naming an undeclared attribute gets.
    #[serde(default)]
    pub undeclared: Undeclared,
    /// Which email addresses a User may have.
    #[serde(default)]
    pub email_syntax: EmailSyntax,
    /// The most emails a User keeps: the first ones sent; all of them when absent.
    #[serde(default)]
    pub emails_kept: Option<usize>,
    /// The PATCH path forms taken.
    #[serde(default)]
    pub patch_paths: PatchPaths,
    /// How `/ResourceTypes` writes each `endpoint`.
    #[serde(default)]
    pub resource_type_endpoints: EndpointForm,
    /// Whether userName is kept in upper case, as RFC 7643 lines 1750-1752 let a server
    /// alter the case of a value whose caseExact is false.
    #[serde(default)]
    pub upper_case_user_names: bool,
    /// What a group member whose value is the id of no resource gets.
    #[serde(default)]
    pub unknown_members: UnknownMembers,
    /// Whether `/ServiceProviderConfig` claims the SCIM Interoperability Profile with
    /// `interopProfileConformant: true` (draft-zollner-scim-interop-profile-01 §4: a server
    /// claiming conformance "MUST include" it; one that does not omits it, as here by default).
    #[serde(default)]
    pub interop_profile_conformant: bool,
    /// What a request naming a schema URI the resource type does not have gets, in its
    /// `schemas` or as an extension member (RFC 7644 has no rule; the profile's §5.3 refuses).
    #[serde(default)]
    pub undeclared_schemas: Undeclared,
    /// What a PATCH path naming no declared attribute gets.
    #[serde(default)]
    pub undeclared_path: UndeclaredPath,
    /// What a PATCH operation without `path` gets.
    #[serde(default)]
    pub pathless_patch: PathlessPatch,
    /// What a `replace` of a whole singular complex attribute (`path: name`) does to the
    /// sub-attributes its value leaves out.
    #[serde(default)]
    pub complex_replace: ComplexReplace,
    /// What a filter on a resource-type endpoint naming an attribute outside that type's
    /// schemas gets (the root endpoint is not concerned).
    #[serde(default)]
    pub undefined_filter: UndefinedFilter,
    /// How the server writes the ids it assigns.
    #[serde(default)]
    pub ids: IdForm,
}

/// How a server writes the ids it assigns: RFC 7643 §3.1 asks only for a unique, stable,
/// non-empty string, and servers backed by a database often hand out its row numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdForm {
    /// A random UUID (`2819c223-7f76-453a-919d-413861904646`).
    #[default]
    Uuid,
    /// A number counting every resource created (`17`): no letter whose case could differ.
    Serial,
}

/// What a PATCH path naming no declared attribute gets: RFC 7644 Table 9 gives `invalidPath`
/// ("The "path" attribute was invalid or malformed"); the interop profile's §5.3 answers
/// every undefined attribute in a request with `invalidSyntax`, PATCH included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndeclaredPath {
    #[default]
    InvalidPath,
    InvalidSyntax,
}

/// What a PATCH operation without `path` gets. RFC 7644 §3.5.2.1 and §3.5.2.3 define it
/// (the value's attributes are added or replaced; a path-less `remove` fails with
/// `noTarget`, §3.5.2.2); the interop profile's §6.5.1.1 refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathlessPatch {
    /// As RFC 7644 defines it.
    #[default]
    Applied,
    /// 400 `invalidSyntax`, the whole request unapplied.
    Refused,
}

/// What a `replace` of a whole singular complex attribute does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplexReplace {
    /// The sub-attributes given change, the others stay (RFC 7644 §3.5.2.3, lines
    /// 2378-2382).
    #[default]
    Merge,
    /// The value becomes the whole attribute: sub-attributes it leaves out are cleared
    /// (interop profile §6.5.2.1: the server "MUST replace the entire complex attribute
    /// with the provided object").
    Whole,
}

/// What a filter on a resource-type endpoint naming an undefined attribute gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndefinedFilter {
    /// The comparison matches nothing, as RFC 7644 lines 919-922 have it at the root.
    #[default]
    Unmatched,
    /// 400 `invalidFilter` (interop profile §6.3).
    Refused,
}

/// What a group member naming no existing resource gets: RFC 7643 §2.3.7 (lines 580-582)
/// has a service provider "MAY choose to enforce referential integrity", so refusing it and
/// keeping it are both allowed (C-group-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownMembers {
    /// 400 `invalidValue`: referential integrity enforced.
    #[default]
    Refused,
    /// Kept as sent, with no `$ref`, `type` or `display` to fill in.
    Kept,
}

/// How a ResourceType's `endpoint` is written. RFC 7643 §6 defines it "relative to the Base
/// URL" (`/Users`); servers are seen writing it with the base path or as an absolute URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointForm {
    /// `/Users`.
    #[default]
    Relative,
    /// `/scim/v2/Users`.
    BasePath,
    /// `http://host:port/scim/v2/Users`.
    Absolute,
}

/// The PATCH path forms a server takes (RFC 7644 §3.5.2; Table 9 lets it answer a path it
/// cannot act on with 400 invalidPath).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchPaths {
    /// Plain paths and value filters, with or without a sub-attribute.
    #[default]
    All,
    /// Plain paths only: a value filter is refused with 400 invalidPath.
    Plain,
}

/// What an attribute or sub-attribute the server does not declare gets in a resource body
/// (see `server::input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Undeclared {
    /// Dropped (RFC 7644 §3.3: "the server is free to alter and/or ignore POSTed content").
    #[default]
    Ignored,
    /// 400 invalidSyntax, as a server whose model forbids extra members answers.
    Refused,
}

/// The email addresses a server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailSyntax {
    /// Any string.
    #[default]
    Any,
    /// A local part of letters, digits, dots and hyphens only, as strict validators ask.
    Plain,
}

/// How list answers are paged: index paging (RFC 7644 §3.4.2.4) always, cursor paging (RFC
/// 9865) where a profile offers it, and which of the two a request naming neither gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    #[serde(default)]
    pub cursor: Option<CursorPaging>,
    #[serde(default)]
    pub default: PagingMethod,
}

/// Cursor paging as offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CursorPaging {
    /// Seconds a cursor stays valid (RFC 9865 `cursorTimeout`).
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PagingMethod {
    #[default]
    Index,
    Cursor,
}

impl PagingMethod {
    /// Its name in `pagination.defaultPaginationMethod`.
    pub fn as_str(self) -> &'static str {
        match self {
            PagingMethod::Index => "index",
            PagingMethod::Cursor => "cursor",
        }
    }
}

fn yes() -> bool {
    true
}

/// What a path-less PATCH operation's value member naming no declared attribute gets (a
/// PATCH *path* naming one is always refused with 400 `invalidPath`: RFC 7644 §3.5.2, "An
/// operation that is not compatible with an attribute's mutability or schema SHALL return
/// the appropriate HTTP response status code and a JSON detail error response").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchUndeclared {
    /// 400 `invalidPath`, as for an explicit path.
    #[default]
    InvalidPath,
    /// Dropped, as a create or PUT drops it: the value "contains a set of attributes to be
    /// added to the resource" (RFC 7644 §3.5.2.1), read in the server's own schema (§3.1).
    Ignored,
}

/// What a filter on a discovery endpoint gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryFilter {
    /// 403, as RFC 7644 §4 asks.
    Forbidden,
    Ignored,
}

/// How `/Me` answers (the bundled server's tokens name no SCIM user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeAnswer {
    /// 501, as RFC 7644 §3.11 asks of a server without `/Me`.
    NotImplemented,
    NotFound,
}

impl MeAnswer {
    pub fn status(self) -> u16 {
        match self {
            MeAnswer::NotImplemented => 501,
            MeAnswer::NotFound => 404,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bulk {
    pub supported: bool,
    #[serde(default)]
    pub max_operations: usize,
    #[serde(default)]
    pub max_payload_size: usize,
}

/// What PUT does with readWrite attributes the request omits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PutMode {
    /// Cleared: the request is the whole new resource (RFC 7644 §3.5.1).
    Replace,
    /// Kept: only the attributes sent change.
    Partial,
    /// Defaulted, as RFC 7644 lines 1647-1651 also allow: a User's omitted `displayName`
    /// becomes its userName and its omitted `name` `{formatted: userName}`; the rest is cleared.
    Default,
}

/// A schema extension a profile adds to a resource type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    pub resource_type: String,
    pub required: bool,
    pub schema: Schema,
}

impl Profile {
    /// The strict RFC profile.
    pub fn rfc() -> Self {
        Self::find("rfc").expect("the built-in rfc profile is valid")
    }

    /// A built-in profile by name, or a profile file by path (on disk, or a built-in file at
    /// that path: `fixtures/profiles/newrelic.yaml`).
    pub fn find(name_or_path: &str) -> Result<Self, String> {
        if let Some((_, path, text)) = builtin().into_iter().find(|(n, _, _)| n == name_or_path) {
            return Self::parse(&path.display().to_string(), text);
        }
        let path = Path::new(name_or_path);
        if !crate::builtin::exists(path) {
            return Err(format!(
                "no profile `{name_or_path}`: give one of {} or a profile file",
                builtin_names().join(", ")
            ));
        }
        let text = crate::builtin::read(path).map_err(|e| format!("cannot read {e}"))?;
        Self::parse(&path.display().to_string(), &text)
    }

    fn parse(file: &str, text: &str) -> Result<Self, String> {
        let p: Profile = serde_saphyr::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        let paging = p.emulation.pagination;
        if paging.default == PagingMethod::Cursor && paging.cursor.is_none() {
            return Err(format!(
                "{file}: pagination.default is cursor, but pagination.cursor is not offered"
            ));
        }
        for d in &p.deviations {
            if let Some(r) = d
                .requirements
                .iter()
                .find(|r| crate::requirements::find(r).is_none())
            {
                return Err(format!(
                    "{file}: deviation `{}` names unknown requirement id `{r}`",
                    d.id
                ));
            }
        }
        Ok(p)
    }

    /// This profile as a server declaring only `shapes` (a target's `/Schemas`) behaves:
    /// the RFC attributes and the enterprise extension it does not declare are dropped, so
    /// that a model of it keeps no more than the target does. Attributes the RFC does not
    /// define are the target's own and change nothing here.
    pub fn declaring(&self, shapes: &[crate::plan::fit::Shape]) -> Profile {
        let core = Registry::core();
        let mut out = self.clone();
        for rt in &core.resource_types {
            let (Some(schema), Some(shape)) = (
                core.schema(&rt.schema),
                shapes
                    .iter()
                    .find(|s| s.core.eq_ignore_ascii_case(&rt.schema)),
            ) else {
                continue;
            };
            let mut names = Vec::new();
            for a in &schema.attributes {
                let Some(d) = shape
                    .attributes
                    .iter()
                    .find(|d| d.name.eq_ignore_ascii_case(&a.name))
                else {
                    continue;
                };
                let subs: Vec<&str> = a
                    .sub_attributes
                    .iter()
                    .filter(|s| d.sub(&s.name).is_some())
                    .map(|s| s.name.as_str())
                    .collect();
                if subs.len() == a.sub_attributes.len() {
                    names.push(a.name.clone());
                } else {
                    names.extend(subs.iter().map(|s| format!("{}.{s}", a.name)));
                }
            }
            out.emulation.attributes.insert(rt.name.clone(), names);
            if rt.name == "User" {
                out.emulation.core_extensions = shape
                    .extensions
                    .iter()
                    .any(|(urn, _)| urn.eq_ignore_ascii_case(crate::scim::schema::ENTERPRISE_USER));
            }
        }
        out
    }

    /// The declared deviation that explains a failure of a case checking `requirements`.
    pub fn explains(&self, requirements: &[String]) -> Option<&Deviation> {
        self.deviations
            .iter()
            .find(|d| d.requirements.iter().any(|r| requirements.contains(r)))
    }

    pub fn deviation(&self, id: &str) -> Option<&Deviation> {
        self.deviations.iter().find(|d| d.id == id)
    }

    /// The schema registry of a server following this profile: the RFC core, narrowed to
    /// the declared attributes and extensions, plus the profile's extensions and required
    /// attributes.
    pub fn registry(&self) -> Result<Registry, String> {
        let mut reg = Registry::core();
        if !self.emulation.core_extensions {
            reg.drop_extensions();
        }
        for (rt_name, names) in &self.emulation.attributes {
            reg.declare(rt_name, names)
                .map_err(|e| format!("profile {}: {e}", self.name))?;
        }
        for ext in &self.emulation.extensions {
            let rt = reg
                .resource_types
                .iter_mut()
                .find(|rt| rt.name == ext.resource_type)
                .ok_or_else(|| {
                    format!(
                        "profile {}: no resource type `{}` to extend",
                        self.name, ext.resource_type
                    )
                })?;
            rt.schema_extensions.push(SchemaExtension {
                schema: ext.schema.id.clone(),
                required: ext.required,
            });
            reg.schemas.push(ext.schema.clone());
        }
        for (rt_name, names) in &self.emulation.required {
            let schema_id = reg
                .resource_type(rt_name)
                .map(|rt| rt.schema.clone())
                .ok_or_else(|| format!("profile {}: no resource type `{rt_name}`", self.name))?;
            let schema = reg
                .schemas
                .iter_mut()
                .find(|s| s.id == schema_id)
                .expect("resource types name known schemas");
            for name in names {
                let missing =
                    || format!("profile {}: {rt_name} has no attribute `{name}`", self.name);
                let (top, sub) = match name.split_once('.') {
                    Some((top, sub)) => (top, Some(sub)),
                    None => (name.as_str(), None),
                };
                let mut attr = schema
                    .attributes
                    .iter_mut()
                    .find(|a| a.name == top)
                    .ok_or_else(missing)?;
                if let Some(sub) = sub {
                    attr = attr
                        .sub_attributes
                        .iter_mut()
                        .find(|a| a.name == sub)
                        .ok_or_else(missing)?;
                }
                attr.required = true;
            }
        }
        Ok(reg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{CompareOp, Operator};

    #[test]
    fn builtin_profiles_load_and_build_registries() {
        let names = builtin_names();
        assert_eq!(
            names,
            [
                "rfc",
                "absolute-endpoints",
                "cursor",
                "globalrelay",
                "interop",
                "minimal",
                "narrow",
                "newrelic",
                "strict"
            ]
        );
        for name in names {
            let p = Profile::find(&name).unwrap();
            assert_eq!(p.name, name);
            p.registry().unwrap();
        }
    }

    #[test]
    fn newrelic_declares_its_documented_deviations() {
        let p = Profile::find("newrelic").unwrap();
        let e = &p.emulation;
        assert_eq!(
            e.filter.operators.as_deref(),
            Some(&[Operator::Compare(CompareOp::Eq)][..])
        );
        assert!(e.filter.case_exact_names && e.filter.case_exact_values && !e.filter.urn_names);
        assert_eq!(e.me.status(), 404);
        assert!(!e.bulk.supported && !e.search && !e.meta_location);
        assert_eq!(e.put, PutMode::Partial);
        let reg = p.registry().unwrap();
        let users = reg.resource_type("User").unwrap();
        let urn = "urn:ietf:params:scim:schemas:extension:newrelic:2.0:User";
        assert!(users.schema_extensions.iter().any(|x| x.schema == urn));
        assert!(reg.resolve(users, &format!("{urn}:nrUserType")).is_some());
        assert!(reg.resolve(users, "emails").unwrap().1.required);
    }

    #[test]
    fn minimal_declares_its_subset_and_no_extension() {
        let p = Profile::find("minimal").unwrap();
        let e = &p.emulation;
        assert!(!e.bulk.supported && !e.sort && !e.etag && !e.core_extensions);
        assert_eq!(e.patch_undeclared, PatchUndeclared::Ignored);
        let reg = p.registry().unwrap();
        let names = |urn: &str| -> Vec<String> {
            reg.schema(urn)
                .unwrap()
                .attributes
                .iter()
                .map(|a| {
                    let subs: Vec<&str> =
                        a.sub_attributes.iter().map(|s| s.name.as_str()).collect();
                    format!("{}({})", a.name, subs.join(","))
                })
                .collect()
        };
        assert_eq!(
            names(crate::scim::schema::USER),
            [
                "userName()",
                "name(familyName,givenName)",
                "active()",
                "emails(value,primary)"
            ]
        );
        assert_eq!(
            names(crate::scim::schema::GROUP),
            ["displayName()", "members(value,$ref,display,type)"]
        );
        assert_eq!(reg.schemas.len(), 2, "no extension schema");
        assert!(
            reg.resource_types
                .iter()
                .all(|rt| rt.schema_extensions.is_empty())
        );
        let users = reg.resource_type("User").unwrap();
        assert!(
            reg.resolve(users, "externalId").is_some(),
            "common attributes stay"
        );
        assert!(reg.resolve(users, "title").is_none());
    }

    #[test]
    fn the_other_profiles_keep_the_whole_rfc_schema() {
        let core = Registry::core();
        for name in ["rfc", "newrelic", "globalrelay"] {
            let p = Profile::find(name).unwrap();
            let e = &p.emulation;
            assert!(e.sort && e.etag && e.core_extensions, "{name}");
            assert_eq!(e.patch_undeclared, PatchUndeclared::InvalidPath, "{name}");
            let reg = p.registry().unwrap();
            for s in &core.schemas {
                let kept = reg.schema(&s.id).unwrap();
                assert_eq!(kept.attributes.len(), s.attributes.len(), "{name}");
            }
        }
    }

    #[test]
    fn declared_attributes_must_exist_and_include_the_required() {
        let mut reg = Registry::core();
        let e = reg.declare("User", &["nosuch".into(), "userName".into()]);
        assert!(e.unwrap_err().contains("`nosuch`"));
        let e = reg.declare("User", &["name.nosuch".into(), "userName".into()]);
        assert!(e.unwrap_err().contains("`name.nosuch`"));
        let e = reg.declare("User", &["title".into()]);
        assert!(e.unwrap_err().contains("`userName` is required"));
        reg.declare(
            "User",
            &["userName".into(), "name".into(), "name.givenName".into()],
        )
        .unwrap();
        let users = reg.resource_type("User").unwrap();
        let name = reg.resolve(users, "name").unwrap().1;
        assert_eq!(
            name.sub_attributes.len(),
            6,
            "a bare name keeps every sub-attribute"
        );
    }

    #[test]
    fn a_fill_adds_what_a_create_lacks_also_inside_a_complex_member() {
        let mut create = serde_json::json!({"userName": "u", "Name": {"givenName": "Ada"}});
        let fill = serde_json::json!({"name": {"middleName": "{{fill_id}}", "givenName": "x"}, "nickName": "n"});
        let vars = crate::suite::template::Vars::from([("fill_id".into(), "f-1".into())]);
        fill_missing(
            create.as_object_mut().unwrap(),
            fill.as_object().unwrap(),
            &vars,
        );
        assert_eq!(
            create,
            serde_json::json!({"userName": "u", "Name": {"givenName": "Ada", "middleName": "f-1"}, "nickName": "n"})
        );
    }

    #[test]
    fn a_cursor_default_needs_cursor_paging() {
        let rfc = crate::builtin::read(Path::new("fixtures/profiles/rfc.yaml")).unwrap();
        let text = rfc
            .replace("cursor: {timeout: 600}", "")
            .replace("default: index", "default: cursor");
        let e = Profile::parse("p.yaml", &text).unwrap_err();
        assert!(e.contains("p.yaml: pagination.default is cursor"), "{e}");
    }

    #[test]
    fn unknown_profile_names_the_choices() {
        let e = Profile::find("nosuch").unwrap_err();
        assert!(
            e.contains(
                "rfc, absolute-endpoints, cursor, globalrelay, interop, minimal, narrow, newrelic, strict"
            ),
            "{e}"
        );
    }
}
