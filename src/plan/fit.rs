//! Fitting the suites to what the target declares (RFC 7644 §3.1, §3.3: a server may support
//! a subset of the schema and ignore the rest). Read from the cases themselves, so suite
//! authors write nothing extra:
//! - every request body is cut, when it is sent (`exec::shape`), to the attributes and
//!   extensions the target declares for the resource type it goes to (PATCH values and Bulk
//!   data included), and at plan time so are the values expectations compare with;
//! - a case whose own steps are about an attribute the target does not declare (a PATCH
//!   path, a filter, `attributes`/`excludedAttributes`/`sortBy`, an expectation's pointer)
//!   is skipped with the reason;
//! - in the suite's setup and teardown, such PATCH operations and expectations are dropped.
//!
//! Only attributes the RFC defines are judged: a name the RFC does not know (a vendor's, or
//! a member of a message such as `totalResults`) is left as it is.

use serde_json::{Map, Value};

use crate::scim::filter::{self, AttrPath, Filter};
use crate::scim::schema::{Attribute, Registry};
use crate::suite::{Assertion, Method, Step, Suite};

/// The attributes of one resource type.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Its endpoint without the slash: `Users`.
    pub endpoint: String,
    /// The URN of its core schema.
    pub core: String,
    /// The common attributes and the core schema's.
    pub attributes: Vec<Attribute>,
    pub extensions: Vec<(String, Vec<Attribute>)>,
}

impl Shape {
    /// The resource types of a registry.
    pub fn of_registry(reg: &Registry) -> Vec<Shape> {
        reg.resource_types
            .iter()
            .filter_map(|rt| {
                let core = reg.schema(&rt.schema)?;
                let mut attributes = crate::scim::schema::common_attributes();
                attributes.retain(|c| core.attribute(&c.name).is_none());
                attributes.extend(core.attributes.iter().cloned());
                Some(Shape {
                    endpoint: rt.endpoint.trim_start_matches('/').to_string(),
                    core: core.id.clone(),
                    attributes,
                    extensions: rt
                        .schema_extensions
                        .iter()
                        .filter_map(|e| reg.schema(&e.schema))
                        .map(|s| (s.id.clone(), s.attributes.clone()))
                        .collect(),
                })
            })
            .collect()
    }

    /// Whether it has the extension `urn` (None: the core), its attribute `attr` and that
    /// attribute's `sub`, as far as they are given.
    fn has(&self, urn: Option<&str>, attr: Option<&str>, sub: Option<&str>) -> bool {
        let attrs = match urn {
            Some(u) if !u.eq_ignore_ascii_case(&self.core) => {
                match self
                    .extensions
                    .iter()
                    .find(|(id, _)| id.eq_ignore_ascii_case(u))
                {
                    Some((_, attrs)) => attrs,
                    None => return false,
                }
            }
            _ => &self.attributes,
        };
        let Some(attr) = attr else {
            return true;
        };
        let Some(a) = attrs.iter().find(|a| a.name.eq_ignore_ascii_case(attr)) else {
            return false;
        };
        sub.is_none_or(|s| a.sub(s).is_some())
    }
}

/// What the RFC defines beside what the target declares.
pub struct Fit {
    known: Vec<Shape>,
    declared: Vec<Shape>,
}

/// Why each case of a suite cannot run on the target, by case index.
pub type Skips = Vec<Option<String>>;

impl Fit {
    /// `declared` against the RFC core schemas.
    pub fn new(declared: Vec<Shape>) -> Self {
        Fit {
            known: Shape::of_registry(&Registry::core()),
            declared,
        }
    }

    /// Fits a suite in place; returns why each case is skipped, if it is.
    pub fn suite(&self, suite: &mut Suite) -> Skips {
        for step in suite.setup.iter_mut().chain(suite.teardown.iter_mut()) {
            self.step(&mut step.value, false);
        }
        suite
            .cases
            .iter_mut()
            .map(|case| {
                for step in case.value.teardown.iter_mut() {
                    self.step(&mut step.value, false);
                }
                let mut subjects: Vec<String> = Vec::new();
                for step in case.value.steps.iter_mut() {
                    subjects.extend(self.step(&mut step.value, true));
                }
                subjects.dedup();
                (!subjects.is_empty())
                    .then(|| format!("not declared by the target: {}", subjects.join(", ")))
            })
            .collect()
    }

    /// Cuts a request body for `path` to what the target declares: undeclared attributes,
    /// extensions and PATCH operations on them are dropped; what RFC 7643 requires of the
    /// resource type is kept.
    pub fn body(&self, method: Method, path: &str, body: &mut Value) {
        let Value::Object(obj) = body else {
            return;
        };
        let endpoint = endpoint_of(path);
        if method == Method::Patch {
            self.patch(endpoint, obj, false);
        } else if obj.contains_key("Operations") {
            self.bulk(obj);
        } else {
            self.resource(endpoint, obj);
        }
    }

    /// Whether the target declares what the attribute path `path` (`name.givenName`,
    /// `emails[type eq "work"].value`) names on `endpoint` (`Users`): what the fuzzer may
    /// generate filters, PATCH paths and sorts over. A name the RFC does not define counts as
    /// declared, as everywhere here; an unparsable path names nothing.
    pub fn declares(&self, endpoint: &str, path: &str) -> bool {
        let Ok(parsed) = filter::parse_patch_path(path) else {
            return true;
        };
        let mut paths = vec![parsed.path.clone()];
        if let Some(f) = &parsed.filter {
            filter_paths(f, Some(&parsed.path), &mut paths);
        }
        paths
            .iter()
            .all(|p| self.undeclared_path(Some(endpoint), p).is_none())
    }

    /// Fits one step's expectations; returns the undeclared attributes it is about (when
    /// `own`, a case's own step) — elsewhere what is about them is dropped instead.
    fn step(&self, step: &mut Step, own: bool) -> Vec<String> {
        let path = step.request.path.clone();
        let endpoint = endpoint_of(&path);
        let mut about: Vec<String> = Vec::new();
        let r = &step.request;
        for (key, value) in &r.query {
            about.extend(self.query_param(endpoint, key, value));
        }
        // Bodies are only read here: they are fitted when sent, after what is added to them
        // (`exec::shape`).
        if let Some(Value::Object(body)) = &r.body {
            let search = r.method == Method::Post && r.path.ends_with(".search");
            if search {
                for (key, value) in body.iter() {
                    if let Value::String(v) = value {
                        about.extend(self.query_param(endpoint, key, v));
                    }
                }
            } else if own && body.contains_key("Operations") && r.method == Method::Patch {
                about.extend(self.patch(endpoint, &mut body.clone(), true));
            }
        }
        let mut dropped = Vec::new();
        step.expect.json.retain(|pointer, a| {
            if let Some(name) = self.undeclared_pointer(endpoint, pointer) {
                dropped.push(name);
                return false;
            }
            self.assertion(endpoint, pointer, a);
            true
        });
        if own {
            about.extend(dropped);
            about
        } else {
            Vec::new()
        }
    }

    /// The undeclared attributes a query parameter names.
    fn query_param(&self, endpoint: Option<&str>, key: &str, value: &str) -> Vec<String> {
        let paths: Vec<AttrPath> = match key {
            "filter" => filter::parse(value)
                .map(|f| {
                    let mut out = Vec::new();
                    filter_paths(&f, None, &mut out);
                    out
                })
                .unwrap_or_default(),
            "attributes" | "excludedAttributes" | "sortBy" => value
                .split(',')
                .filter_map(|n| filter::parse_patch_path(n.trim()).ok())
                .map(|p| p.path)
                .collect(),
            _ => vec![],
        };
        paths
            .iter()
            .filter_map(|p| self.undeclared_path(endpoint, p))
            .collect()
    }

    /// Cuts the values of a PATCH; returns (or, outside a case's own steps, drops) the
    /// operations whose path is undeclared.
    fn patch(
        &self,
        endpoint: Option<&str>,
        body: &mut Map<String, Value>,
        own: bool,
    ) -> Vec<String> {
        let mut about = Vec::new();
        let Some(Value::Array(ops)) = body.get_mut("Operations") else {
            return about;
        };
        ops.retain_mut(|op| {
            let path = op.get("path").and_then(Value::as_str).map(str::to_string);
            let Some(path) = path else {
                if let Some(Value::Object(v)) = op.get_mut("value") {
                    self.resource(endpoint, v);
                }
                return true;
            };
            let Ok(parsed) = filter::parse_patch_path(&path) else {
                return true;
            };
            let mut paths = vec![parsed.path.clone()];
            if let Some(f) = &parsed.filter {
                filter_paths(f, Some(&parsed.path), &mut paths);
            }
            let undeclared: Vec<String> = paths
                .iter()
                .filter_map(|p| self.undeclared_path(endpoint, p))
                .collect();
            if !undeclared.is_empty() {
                about.extend(undeclared);
                return own;
            }
            if parsed.path.sub.is_none()
                && let Some(v) = op.get_mut("value")
            {
                self.values(endpoint, parsed.path.urn.as_deref(), &parsed.path.attr, v);
            }
            true
        });
        about
    }

    /// Cuts the data of each Bulk operation for the endpoint its path names.
    fn bulk(&self, body: &mut Map<String, Value>) {
        let Some(Value::Array(ops)) = body.get_mut("Operations") else {
            return;
        };
        for op in ops {
            let endpoint = op
                .get("path")
                .and_then(Value::as_str)
                .and_then(endpoint_of)
                .map(str::to_string);
            if let Some(Value::Object(data)) = op.get_mut("data") {
                if data.contains_key("Operations") {
                    self.patch(endpoint.as_deref(), data, true);
                } else {
                    self.resource(endpoint.as_deref(), data);
                }
            }
        }
    }

    /// Cuts a resource (or part of one) to what is declared.
    fn resource(&self, endpoint: Option<&str>, obj: &mut Map<String, Value>) {
        let keys: Vec<String> = obj.keys().cloned().collect();
        for key in keys {
            if key == "schemas" {
                if let Some(Value::Array(urns)) = obj.get_mut("schemas") {
                    urns.retain(|u| {
                        u.as_str()
                            .is_none_or(|u| !self.undeclared(endpoint, Some(u), None, None))
                    });
                }
            } else if is_urn(&key) && self.known_extension(endpoint, &key) {
                if self.undeclared(endpoint, Some(&key), None, None) {
                    obj.remove(&key);
                } else if let Some(Value::Object(ext)) = obj.get_mut(&key) {
                    let names: Vec<String> = ext.keys().cloned().collect();
                    for name in names {
                        if self.undeclared(endpoint, Some(&key), Some(&name), None) {
                            ext.remove(&name);
                        } else if let Some(v) = ext.get_mut(&name) {
                            self.values(endpoint, Some(&key), &name, v);
                        }
                    }
                }
            } else if is_urn(&key) {
                // A URN-qualified attribute name (`urn:…:User:employeeNumber`).
                let (urn, attr) = crate::scim::schema::split_urn(&key);
                if self.undeclared(endpoint, urn, Some(attr), None) {
                    obj.remove(&key);
                }
            } else if self.undeclared(endpoint, None, Some(&key), None) {
                obj.remove(&key);
            } else if let Some(v) = obj.get_mut(&key) {
                self.values(endpoint, None, &key, v);
            }
        }
    }

    /// Cuts the undeclared sub-attributes of the value(s) of attribute `attr`.
    fn values(&self, endpoint: Option<&str>, urn: Option<&str>, attr: &str, v: &mut Value) {
        let cut = |o: &mut Map<String, Value>| {
            o.retain(|sub, _| !self.undeclared(endpoint, urn, Some(attr), Some(sub)));
        };
        match v {
            Value::Object(o) => cut(o),
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(cut),
            _ => {}
        }
    }

    /// Cuts the values an assertion compares with, as the response would be cut.
    fn assertion(&self, endpoint: Option<&str>, pointer: &str, a: &mut Assertion) {
        let fit = |v: &mut Value| match position(pointer) {
            Position::Resource => {
                let objects: Vec<&mut Map<String, Value>> = match v {
                    Value::Object(o) => vec![o],
                    Value::Array(items) => {
                        items.iter_mut().filter_map(Value::as_object_mut).collect()
                    }
                    _ => vec![],
                };
                for o in objects {
                    self.resource(endpoint, o);
                }
            }
            Position::Attribute {
                urn,
                attr,
                sub: None,
            } => {
                self.values(endpoint, urn.as_deref(), &attr, v);
            }
            _ => {}
        };
        match a {
            Assertion::Equals(v)
            | Assertion::Contains(v)
            | Assertion::Excludes(v)
            | Assertion::NotEquals(v) => fit(v),
            Assertion::OneOf(vs) => vs.iter_mut().for_each(fit),
            _ => {}
        }
    }

    /// The attribute a JSON pointer into a response names, if it is undeclared.
    fn undeclared_pointer(&self, endpoint: Option<&str>, pointer: &str) -> Option<String> {
        match position(pointer) {
            Position::Attribute { urn, attr, sub } => {
                self.undeclared_path(endpoint, &AttrPath { urn, attr, sub })
            }
            Position::Extension(urn) => self
                .undeclared(endpoint, Some(&urn), None, None)
                .then_some(urn),
            Position::Resource | Position::Other => None,
        }
    }

    fn undeclared_path(&self, endpoint: Option<&str>, p: &AttrPath) -> Option<String> {
        if !self.undeclared(endpoint, p.urn.as_deref(), Some(&p.attr), p.sub.as_deref()) {
            return None;
        }
        // A member every resource of its type has is missing only with the type itself.
        Some(
            match self.required_of(endpoint, p.urn.as_deref(), &p.attr, p.sub.as_deref()) {
                Some(endpoint) => format!("the {endpoint} resource type"),
                None => display(p),
            },
        )
    }

    /// The endpoint of the known resource type that `attr` is required of (RFC 7643 §4.1
    /// userName, §4.2 displayName; §3 the core schema URN in `schemas`, `attr` None), if it
    /// is: such a member is never cut and never a reason to skip while the target serves the
    /// type at all.
    fn required_of(
        &self,
        endpoint: Option<&str>,
        urn: Option<&str>,
        attr: &str,
        sub: Option<&str>,
    ) -> Option<&str> {
        if sub.is_some() {
            return None;
        }
        self.known
            .iter()
            .filter(|k| endpoint.is_none_or(|e| k.endpoint.eq_ignore_ascii_case(e)))
            .filter(|k| urn.is_none_or(|u| u.eq_ignore_ascii_case(&k.core)))
            .find(|k| {
                REQUIRED
                    .iter()
                    .any(|(e, a)| k.endpoint == *e && a.eq_ignore_ascii_case(attr))
            })
            .map(|k| k.endpoint.as_str())
    }

    /// What RFC 7643 requires of a resource type that the target's declaration of it lacks
    /// (`userName of Users`): sent all the same, and said once.
    pub fn lacking_required(&self) -> Vec<String> {
        REQUIRED
            .iter()
            .filter(|(endpoint, attr)| {
                self.served(endpoint)
                    && self
                        .declared
                        .iter()
                        .filter(|d| d.endpoint.eq_ignore_ascii_case(endpoint))
                        .all(|d| !d.has(None, Some(attr), None))
            })
            .map(|(endpoint, attr)| format!("{attr} of {endpoint}"))
            .collect()
    }

    /// Whether the target declares a resource type at `endpoint`.
    fn served(&self, endpoint: &str) -> bool {
        self.declared
            .iter()
            .any(|d| d.endpoint.eq_ignore_ascii_case(endpoint))
    }

    /// Whether the RFC defines the attribute for the endpoint (any endpoint, when it is not
    /// known) and the target does not declare it there.
    fn undeclared(
        &self,
        endpoint: Option<&str>,
        urn: Option<&str>,
        attr: Option<&str>,
        sub: Option<&str>,
    ) -> bool {
        let mut known = self
            .known
            .iter()
            .filter(|k| endpoint.is_none_or(|e| k.endpoint.eq_ignore_ascii_case(e)))
            .filter(|k| k.has(urn, attr, sub))
            .peekable();
        if known.peek().is_none() {
            return false;
        }
        let core_urn = urn.is_some() && attr.is_none();
        let required = |k: &Shape| {
            core_urn && urn.is_some_and(|u| u.eq_ignore_ascii_case(&k.core))
                || attr.is_some_and(|a| self.required_of(Some(&k.endpoint), urn, a, sub).is_some())
        };
        known.all(|k| {
            if required(k) {
                return !self.served(&k.endpoint);
            }
            !self
                .declared
                .iter()
                .filter(|d| d.endpoint.eq_ignore_ascii_case(&k.endpoint))
                .any(|d| d.has(urn, attr, sub))
        })
    }

    fn known_extension(&self, endpoint: Option<&str>, urn: &str) -> bool {
        self.known.iter().any(|k| {
            endpoint.is_none_or(|e| k.endpoint.eq_ignore_ascii_case(e))
                && k.extensions
                    .iter()
                    .any(|(id, _)| id.eq_ignore_ascii_case(urn))
        })
    }
}

/// The members RFC 7643 requires of every resource of a type, by endpoint: userName of a User
/// (§4.1), displayName of a Group (§4.2).
const REQUIRED: [(&str, &str); 2] = [("Users", "userName"), ("Groups", "displayName")];

/// What a pointer into a response points at.
enum Position {
    /// A whole resource, or the list of them.
    Resource,
    Extension(String),
    Attribute {
        urn: Option<String>,
        attr: String,
        sub: Option<String>,
    },
    Other,
}

fn position(pointer: &str) -> Position {
    let mut segs: Vec<&str> = pointer.split('/').skip(1).collect();
    if segs.first() == Some(&"Resources") {
        segs.remove(0);
        match segs.first() {
            None => return Position::Resource,
            Some(s) if s.parse::<usize>().is_ok() => {
                segs.remove(0);
            }
            Some(_) => return Position::Other,
        }
    }
    // Indexes into multi-valued attributes say nothing of which attribute it is.
    segs.retain(|s| s.parse::<usize>().is_err());
    let (urn, rest) = match segs.first() {
        None => return Position::Resource,
        Some(s) if is_urn(s) => (Some(s.to_string()), &segs[1..]),
        Some(_) => (None, &segs[..]),
    };
    match (urn, rest) {
        (Some(u), []) => Position::Extension(u),
        (urn, [attr, rest @ ..]) => Position::Attribute {
            urn,
            attr: attr.to_string(),
            sub: rest.first().map(|s| s.to_string()),
        },
        _ => Position::Other,
    }
}

/// Every attribute a filter names; inside `attr[...]`, relative to `attr`.
fn filter_paths(f: &Filter, parent: Option<&AttrPath>, out: &mut Vec<AttrPath>) {
    let within = |p: &AttrPath| match parent {
        Some(parent) => AttrPath {
            urn: parent.urn.clone(),
            attr: parent.attr.clone(),
            sub: Some(p.attr.clone()),
        },
        None => p.clone(),
    };
    match f {
        Filter::Compare { path, .. } | Filter::Present(path) => out.push(within(path)),
        Filter::And(a, b) | Filter::Or(a, b) => {
            filter_paths(a, parent, out);
            filter_paths(b, parent, out);
        }
        Filter::Not(a) => filter_paths(a, parent, out),
        Filter::ValuePath { path, filter } => {
            let p = within(path);
            filter_paths(filter, Some(&p), out);
            out.push(p);
        }
    }
}

/// The resource endpoint a request path goes to (`/Users/{{id}}` → `Users`, `/Me` → `Users`).
fn endpoint_of(path: &str) -> Option<&str> {
    let first = path.trim_start_matches('/').split(['/', '?']).next()?;
    match first {
        "Me" => Some("Users"),
        "" | "Bulk" | ".search" => None,
        e if e.starts_with("{{") => None,
        e => Some(e),
    }
}

fn is_urn(s: &str) -> bool {
    s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// `emails.type`, `urn:…:User:employeeNumber`.
fn display(p: &AttrPath) -> String {
    let name = match &p.sub {
        Some(s) => format!("{}.{s}", p.attr),
        None => p.attr.clone(),
    };
    match &p.urn {
        Some(u) => format!("{u}:{name}"),
        None => name,
    }
}

/// Fits every suite; the skips by suite, then case.
pub fn suites(fit: &Fit, suites: &mut [crate::suite::Loaded]) -> Vec<Skips> {
    suites.iter_mut().map(|l| fit.suite(&mut l.suite)).collect()
}

#[cfg(test)]
mod tests;
