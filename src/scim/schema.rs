//! The schema registry: RFC 7643 schema definitions and resource types, loaded from
//! `fixtures/scim/` (embedded at build time so the server starts without touching the disk).
//! Validation, attribute characteristics and the discovery documents all read from here, so
//! they cannot drift apart.

use crate::builtin;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    #[default]
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Binary,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    ReadOnly,
    #[default]
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    Always,
    Never,
    #[default]
    Default,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    #[default]
    None,
    Server,
    Global,
}

/// One attribute definition; the fixture files omit characteristics that have their RFC 7643
/// §7 defaults, and serialising writes them all out for `/Schemas`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: AttrType,
    #[serde(default)]
    pub multi_valued: bool,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub case_exact: bool,
    #[serde(default)]
    pub mutability: Mutability,
    #[serde(default)]
    pub returned: Returned,
    #[serde(default)]
    pub uniqueness: Uniqueness,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<Attribute>,
}

impl Attribute {
    /// Sub-attribute by case-insensitive name (RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    fn common(name: &str, kind: AttrType) -> Self {
        Attribute {
            name: name.into(),
            kind,
            multi_valued: false,
            description: String::new(),
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: vec![],
            reference_types: vec![],
            sub_attributes: vec![],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schema {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaExtension {
    pub schema: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceType {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    #[serde(default)]
    pub description: String,
    pub schema: String,
    #[serde(default)]
    pub schema_extensions: Vec<SchemaExtension>,
}

/// All schemas and resource types one server knows.
#[derive(Debug, Clone)]
pub struct Registry {
    pub schemas: Vec<Schema>,
    pub resource_types: Vec<ResourceType>,
    /// `id`, `externalId` and `meta` (RFC 7643 §3.1), shared by every resource type.
    common: Vec<Attribute>,
}

impl Registry {
    /// The RFC 7643 core, parsed once, for those that only read it.
    pub fn rfc() -> &'static Registry {
        static RFC: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Registry::core);
        &RFC
    }

    /// The RFC 7643 core: User (with the enterprise extension) and Group.
    pub fn core() -> Self {
        let parse = |text: &str| -> Schema {
            serde_json::from_str(text).expect("embedded schema fixture is valid")
        };
        Registry {
            schemas: vec![
                parse(builtin::expect("fixtures/scim/user.json")),
                parse(builtin::expect("fixtures/scim/group.json")),
                parse(builtin::expect("fixtures/scim/enterprise-user.json")),
            ],
            resource_types: serde_json::from_str(builtin::expect(
                "fixtures/scim/resource-types.json",
            ))
            .expect("embedded resource types fixture is valid"),
            common: common_attributes(),
        }
    }

    /// Narrows the base schema of resource type `rt_name` to the attributes `names` declare:
    /// a bare name keeps the attribute whole, `attr.sub` keeps `attr` with only the
    /// sub-attributes so named. The common attributes (RFC 7643 §3.1) are always declared,
    /// so naming one is allowed and changes nothing. A required attribute cannot be left
    /// out: the server would then accept resources the RFC forbids (RFC 7643 §4.1.1, §4.2).
    /// Attributes keep their schema order, so `/Schemas` reads as the RFC's, less what is cut.
    pub fn declare(&mut self, rt_name: &str, names: &[String]) -> Result<(), String> {
        let schema_id = self
            .resource_type(rt_name)
            .map(|rt| rt.schema.clone())
            .ok_or_else(|| format!("no resource type `{rt_name}`"))?;
        let common = &self.common;
        let schema = self
            .schemas
            .iter_mut()
            .find(|s| s.id == schema_id)
            .expect("resource types name known schemas");
        // Canonical attribute name → the sub-attributes kept (None: all of them).
        let mut keep: Vec<(String, Option<Vec<String>>)> = Vec::new();
        for name in names {
            let (attr, sub) = match name.split_once('.') {
                Some((a, s)) => (a, Some(s)),
                None => (name.as_str(), None),
            };
            if sub.is_none() && common.iter().any(|c| c.name.eq_ignore_ascii_case(attr)) {
                continue;
            }
            let def = schema
                .attribute(attr)
                .ok_or_else(|| format!("{rt_name} has no attribute `{name}`"))?;
            let sub = sub
                .map(|s| {
                    def.sub(s)
                        .map(|d| d.name.clone())
                        .ok_or_else(|| format!("{rt_name} has no attribute `{name}`"))
                })
                .transpose()?;
            match (keep.iter_mut().find(|(n, _)| *n == def.name), sub) {
                (Some((_, subs)), Some(s)) => {
                    if let Some(subs) = subs {
                        subs.push(s);
                    }
                }
                (Some((_, subs)), None) => *subs = None,
                (None, sub) => keep.push((def.name.clone(), sub.map(|s| vec![s]))),
            }
        }
        if let Some(a) = schema
            .attributes
            .iter()
            .find(|a| a.required && !keep.iter().any(|(n, _)| *n == a.name))
        {
            return Err(format!(
                "{rt_name}: `{}` is required and must be declared",
                a.name
            ));
        }
        schema
            .attributes
            .retain(|a| keep.iter().any(|(n, _)| *n == a.name));
        for a in &mut schema.attributes {
            if let Some((_, Some(subs))) = keep.iter().find(|(n, _)| *n == a.name) {
                a.sub_attributes.retain(|s| subs.contains(&s.name));
            }
        }
        Ok(())
    }

    /// Removes every resource type's schema extensions, and their schemas.
    pub fn drop_extensions(&mut self) {
        let urns: Vec<String> = self
            .resource_types
            .iter_mut()
            .flat_map(|rt| std::mem::take(&mut rt.schema_extensions))
            .map(|e| e.schema)
            .collect();
        self.schemas.retain(|s| !urns.contains(&s.id));
    }

    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.iter().find(|r| r.name == name)
    }

    /// The resource type served at an endpoint such as `/Users`.
    pub fn by_endpoint(&self, endpoint: &str) -> Option<&ResourceType> {
        self.resource_types
            .iter()
            .find(|r| r.endpoint.trim_start_matches('/') == endpoint)
    }

    /// Schemas (base first, then extensions) of a resource type.
    pub fn schemas_of<'a>(&'a self, rt: &'a ResourceType) -> impl Iterator<Item = &'a Schema> {
        std::iter::once(rt.schema.as_str())
            .chain(rt.schema_extensions.iter().map(|e| e.schema.as_str()))
            .filter_map(|urn| self.schema(urn))
    }

    /// Resolves a top-level attribute name, optionally URN-qualified
    /// (`urn:...:User:userName`), to the schema that holds it and its definition. Common
    /// attributes resolve with the base schema.
    pub fn resolve<'a>(
        &'a self,
        rt: &'a ResourceType,
        name: &str,
    ) -> Option<(&'a Schema, &'a Attribute)> {
        if let Some(schema) = self.schema(name)
            && rt.schema_extensions.iter().any(|e| e.schema == schema.id)
        {
            // The whole extension object, addressed by its URN alone, is not an attribute.
            return None;
        }
        let (urn, attr) = split_urn(name);
        let base = self.schema(&rt.schema)?;
        if let Some(urn) = urn {
            let schema = self
                .schemas_of(rt)
                .find(|s| s.id.eq_ignore_ascii_case(urn))?;
            let found = schema.attribute(attr).or_else(|| {
                (schema.id == base.id)
                    .then(|| self.common_attr(attr))
                    .flatten()
            })?;
            return Some((schema, found));
        }
        if let Some(a) = self.common_attr(attr) {
            return Some((base, a));
        }
        base.attribute(attr).map(|a| (base, a))
    }

    fn common_attr(&self, name: &str) -> Option<&Attribute> {
        self.common
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The `/Schemas` representation of one schema.
    pub fn schema_document(&self, schema: &Schema, base_url: &str) -> Value {
        let mut doc = serde_json::to_value(schema).expect("schema serialises");
        let obj = doc.as_object_mut().expect("schema is an object");
        obj.insert(
            "schemas".into(),
            json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"]),
        );
        obj.insert(
            "meta".into(),
            json!({"resourceType": "Schema", "location": format!("{base_url}/Schemas/{}", schema.id)}),
        );
        doc
    }

    /// The `/ResourceTypes` representation of one resource type.
    pub fn resource_type_document(&self, rt: &ResourceType, base_url: &str) -> Value {
        let mut doc = serde_json::to_value(rt).expect("resource type serialises");
        let obj = doc.as_object_mut().expect("resource type is an object");
        obj.insert(
            "schemas".into(),
            json!(["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]),
        );
        obj.insert(
            "meta".into(),
            json!({"resourceType": "ResourceType", "location": format!("{base_url}/ResourceTypes/{}", rt.id)}),
        );
        doc
    }
}

/// Splits `urn:...:User:userName` into (`urn:...:User`, `userName`); a plain name has no URN.
pub fn split_urn(name: &str) -> (Option<&str>, &str) {
    if name
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        && let Some(i) = name.rfind(':')
    {
        return (Some(&name[..i]), &name[i + 1..]);
    }
    (None, name)
}

/// `id`, `externalId` and `meta` as RFC 7643 §3.1 defines them; schema documents leave them out.
pub fn common_attributes() -> Vec<Attribute> {
    let mut id = Attribute::common("id", AttrType::String);
    id.case_exact = true;
    id.mutability = Mutability::ReadOnly;
    id.returned = Returned::Always;
    id.uniqueness = Uniqueness::Server;
    let mut external_id = Attribute::common("externalId", AttrType::String);
    external_id.case_exact = true;
    let mut meta = Attribute::common("meta", AttrType::Complex);
    meta.mutability = Mutability::ReadOnly;
    meta.sub_attributes = [
        ("resourceType", AttrType::String),
        ("created", AttrType::DateTime),
        ("lastModified", AttrType::DateTime),
        ("location", AttrType::Reference),
        ("version", AttrType::String),
    ]
    .into_iter()
    .map(|(name, kind)| {
        let mut a = Attribute::common(name, kind);
        a.mutability = Mutability::ReadOnly;
        a.case_exact = true;
        a
    })
    .collect();
    vec![id, external_id, meta]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_plain_qualified_extension_and_common_names() {
        let reg = Registry::core();
        let users = reg.resource_type("User").unwrap();
        assert_eq!(reg.resolve(users, "USERNAME").unwrap().1.name, "userName");
        let (s, a) = reg
            .resolve(users, "urn:ietf:params:scim:schemas:core:2.0:User:userName")
            .unwrap();
        assert_eq!((s.id.as_str(), a.name.as_str()), (USER, "userName"));
        let (s, a) = reg
            .resolve(users, &format!("{ENTERPRISE_USER}:department"))
            .unwrap();
        assert_eq!(
            (s.id.as_str(), a.name.as_str()),
            (ENTERPRISE_USER, "department")
        );
        assert!(
            reg.resolve(users, "meta")
                .unwrap()
                .1
                .sub("lastmodified")
                .is_some()
        );
        assert!(reg.resolve(users, "nosuch").is_none());
        let groups = reg.resource_type("Group").unwrap();
        assert!(reg.resolve(groups, "userName").is_none());
    }

    #[test]
    fn serialised_schema_spells_out_every_characteristic() {
        let reg = Registry::core();
        let doc = reg.schema_document(reg.schema(USER).unwrap(), "http://x");
        let user_name = &doc["attributes"][0];
        for key in [
            "type",
            "multiValued",
            "required",
            "caseExact",
            "mutability",
            "returned",
            "uniqueness",
        ] {
            assert!(user_name.get(key).is_some(), "missing {key}");
        }
        assert_eq!(user_name["uniqueness"], "server");
    }
}
