//! Where an attribute that a server's error names sits in a resource type's schemas, as
//! `--fill` takes it. A server may name a sub-attribute bare ("Field 'formatted' is
//! required"), and `--fill 'formatted=…'` would add a top-level member nobody asked for.

use super::schema::{Attribute, Registry};

/// The `--fill` path of `named` among a resource type's core attributes and its extensions
/// (URN, attributes): a top-level attribute (`nickName`), an extension's
/// (`urn:…:enterprise:2.0:User:costCenter`), or a sub-attribute of a single-valued complex
/// one (`name.formatted`); `None` when nothing declared has that name. Of several
/// sub-attributes of that name, the one whose parent the error also names wins, else the
/// first declared.
pub fn fill_path(
    named: &str,
    detail: &str,
    core: &[Attribute],
    extensions: &[(String, Vec<Attribute>)],
) -> Option<String> {
    let is = |a: &Attribute| a.name.eq_ignore_ascii_case(named);
    if let Some(a) = core.iter().find(|a| is(a)) {
        return Some(a.name.clone());
    }
    if let Some((urn, a)) = extensions
        .iter()
        .find_map(|(urn, attrs)| attrs.iter().find(|a| is(a)).map(|a| (urn, a)))
    {
        return Some(format!("{urn}:{}", a.name));
    }
    // `--fill` nests `a.b` as an object: a multi-valued parent would need an array.
    let subs: Vec<(&Attribute, &Attribute)> = core
        .iter()
        .filter(|p| !p.multi_valued)
        .filter_map(|p| p.sub_attributes.iter().find(|s| is(s)).map(|s| (p, s)))
        .collect();
    let words: Vec<&str> = detail
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mentioned = |p: &Attribute| words.iter().any(|w| w.eq_ignore_ascii_case(&p.name));
    subs.iter()
        .find(|(p, _)| mentioned(p))
        .or(subs.first())
        .map(|(p, s)| format!("{}.{}", p.name, s.name))
}

/// [`fill_path`] in the RFC 7643 schemas, for a target that declares none.
pub fn fill_path_in_rfc(named: &str, detail: &str, endpoint: &str) -> Option<String> {
    let rfc = Registry::rfc();
    let rt = rfc.by_endpoint(endpoint)?;
    let mut schemas = rfc.schemas_of(rt);
    let core = schemas.next()?;
    let extensions: Vec<(String, Vec<Attribute>)> = schemas
        .map(|s| (s.id.clone(), s.attributes.clone()))
        .collect();
    fill_path(named, detail, &core.attributes, &extensions)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    #[test]
    fn a_sub_attribute_named_bare_gets_its_parent() {
        let detail = "Field 'formatted' is required (type=missing) in name";
        assert_eq!(
            fill_path_in_rfc("formatted", detail, "Users").as_deref(),
            Some("name.formatted")
        );
    }

    #[test]
    fn top_level_and_extension_attributes_stay_as_they_are() {
        assert_eq!(
            fill_path_in_rfc("NICKNAME", "", "Users").as_deref(),
            Some("nickName")
        );
        assert_eq!(
            fill_path_in_rfc("costCenter", "", "Users"),
            Some(format!("{ENTERPRISE}:costCenter"))
        );
        assert_eq!(fill_path_in_rfc("shoeSize", "", "Users"), None);
    }

    #[test]
    fn the_parent_the_detail_names_wins_and_multi_valued_parents_never_do() {
        let sub = |name: &str| Attribute {
            sub_attributes: vec![],
            ..serde_json::from_value(serde_json::json!({"name": name})).unwrap()
        };
        let complex = |name: &str, multi: bool| Attribute {
            multi_valued: multi,
            sub_attributes: vec![sub("value")],
            ..sub(name)
        };
        let core = [
            complex("emails", true),
            complex("home", false),
            complex("work", false),
        ];
        assert_eq!(
            fill_path("value", "work needs a value", &core, &[]).as_deref(),
            Some("work.value")
        );
        assert_eq!(
            fill_path("value", "a value is missing", &core, &[]).as_deref(),
            Some("home.value")
        );
        assert_eq!(fill_path("value", "emails", &core[..1], &[]), None);
    }
}
