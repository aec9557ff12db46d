use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::scim::resource::Kind;
use crate::scim::schema::Registry;

fn user() -> Map<String, Value> {
    json!({
        "id": "2819c223",
        "userName": "Bjensen",
        "externalId": "EXT-1",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "title": "Tour Guide",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations"},
        "meta": {"created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49.793Z"}
    })
    .as_object()
    .unwrap()
    .clone()
}

fn eval(filter: &str) -> Result<bool, FilterError> {
    let reg = Registry::core();
    let kind = Kind {
        registry: &reg,
        rt: reg.resource_type("User").unwrap(),
    };
    Matcher::new(&kind, &Dialect::default()).matches(&parse(filter)?, &user())
}

fn eval_faulty(filter: &str, fault: Fault) -> Result<bool, FilterError> {
    let reg = Registry::core();
    let kind = Kind {
        registry: &reg,
        rt: reg.resource_type("User").unwrap(),
    };
    let dialect = Dialect {
        faults: Faults::default().with(fault),
        ..Dialect::default()
    };
    Matcher::new(&kind, &dialect).matches(&parse_faulty(filter, dialect.faults)?, &user())
}

#[test]
fn faults_misread_filters() {
    let read =
        |src: &str, fault| parse_faulty(src, Faults::default().with(fault)).map(|f| f.to_string());
    let three = r#"a eq "1" or b eq "2" and c eq "3""#;
    assert_eq!(parse(three).unwrap().to_string(), three);
    assert_eq!(
        read(three, Fault::LeftToRight).unwrap(),
        r#"(a eq "1" or b eq "2") and c eq "3""#
    );
    assert_eq!(
        read(
            r#"(a eq "1" or b eq "2") and not (c pr)"#,
            Fault::GroupsIgnored
        )
        .unwrap(),
        r#"a eq "1" or b eq "2" and not (c pr)"#
    );
    assert!(read(r#"a EQ "1""#, Fault::LowerCaseOperators).is_err());
    assert!(read(r#"a eq "1" AND b pr"#, Fault::LowerCaseOperators).is_err());
    assert!(read(r#"a eq "1" and not (b Pr)"#, Fault::LowerCaseOperators).is_err());
    assert!(read(r#"a eq "1" and not (b pr)"#, Fault::LowerCaseOperators).is_ok());
}

#[test]
fn faults_misevaluate_filters() {
    for (f, fault, right) in [
        (r#"userName ne "bjensen""#, Fault::NeCaseExact, false),
        (r#"userName sw "bj""#, Fault::SwCaseExact, true),
        (r#"userName ew "JENSEN""#, Fault::EwCaseExact, true),
        (r#"userName gt "Bjensen""#, Fault::GtAsGe, false),
        (
            r#"emails.value eq "babs@jensen.org""#,
            Fault::FirstValueOnly,
            true,
        ),
        (r#"nickName pr"#, Fault::PresentAlways, false),
        // 18:00Z: the resource was created after it, at 18:29:49Z.
        (
            r#"meta.created gt "2011-08-01T20:00:00+02:00""#,
            Fault::OffsetsIgnored,
            true,
        ),
    ] {
        assert_eq!(eval(f).unwrap(), right, "{f}");
        assert_eq!(eval_faulty(f, fault).unwrap(), !right, "{f} with {fault:?}");
    }
    assert!(eval("active gt true").is_err());
    assert_eq!(
        eval_faulty("active gt true", Fault::OrderingBooleans),
        Ok(false)
    );
}

#[test]
fn operators_follow_rfc_7644_examples() {
    for (f, want) in [
        (r#"userName eq "bjensen""#, true),  // caseExact false
        (r#"userName Eq "BJENSEN""#, true),  // operators are case-insensitive
        (r#"USERNAME eq "bjensen""#, true),  // attribute names too
        (r#"externalId eq "ext-1""#, false), // externalId is caseExact
        (r#"externalId eq "EXT-1""#, true),
        (r#"userName ne "bjensen""#, false),
        (r#"nickName ne "x""#, true),
        (r#"name.familyName co "ens""#, true),
        (r#"userName sw "bj""#, true),
        (r#"userName ew "SEN""#, true),
        (r#"title pr"#, true),
        (r#"nickName pr"#, false),
        (r#"emails co "example.com""#, true), // complex multi-valued: the value sub-attribute
        (r#"emails.type eq "home""#, true),   // any value matches
        (
            r#"emails[type eq "work" and value co "@example.com"]"#,
            true,
        ),
        (
            r#"emails[type eq "home" and value co "@example.com"]"#,
            false,
        ),
        (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, true),
        // The same instant written with an offset: instants compare, not strings.
        (
            r#"meta.lastModified lt "2011-08-01T20:29:49.793+02:00""#,
            false,
        ),
        (
            r#"meta.lastModified eq "2011-08-01T20:29:49.793+02:00""#,
            true,
        ),
        (
            r#"meta.lastModified ge "2011-08-01T20:29:49.793+02:00""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#,
            true,
        ),
        (r#"active eq true"#, true),
        (r#"title pr and userType eq "Employee""#, false),
        (r#"title pr or userType eq "Intern""#, true),
        (r#"not (userName eq "x")"#, true),
        (r#"not(userName eq "bjensen")"#, false),
        (
            r#"userName eq "x" or userName eq "bjensen" and title pr"#,
            true,
        ), // and binds tighter
        (
            r#"(userName eq "x" or userName eq "bjensen") and nickName pr"#,
            false,
        ),
    ] {
        assert_eq!(eval(f).unwrap(), want, "{f}");
    }
}

#[test]
fn ordering_on_booleans_is_an_invalid_filter() {
    assert!(eval("active gt true").is_err());
}

#[test]
fn syntax_errors_point_at_the_problem() {
    for (f, at) in [
        ("userName eq", 11),
        ("userName zz \"x\"", 9),
        ("(userName eq \"x\"", 16),
        ("userName eq \"x\" bogus", 16),
        ("userName eq \"unterminated", 12),
        ("emails[type eq \"work\"", 21),
        ("userName eq x", 12),
        ("", 0),
    ] {
        let e = parse(f).unwrap_err();
        assert_eq!(e.at, at, "{f}: {e}");
    }
}

#[test]
fn patch_paths_parse_with_filters_and_sub_attributes() {
    let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
    assert_eq!(p.path.attr, "emails");
    assert_eq!(p.path.sub.as_deref(), Some("value"));
    assert!(p.filter.is_some());
    let p = parse_patch_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
        .unwrap();
    assert_eq!(
        p.path.urn.as_deref(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert_eq!(p.path.attr, "manager");
    assert!(parse_patch_path(r#"emails[type eq "work"]value"#).is_err());
    assert!(parse_patch_path("name.familyName.x").is_err());
}

fn arb_path() -> impl Strategy<Value = AttrPath> {
    let name = "[a-z][a-zA-Z0-9_]{0,6}";
    (
        proptest::option::of(Just(
            "urn:ietf:params:scim:schemas:core:2.0:User".to_string(),
        )),
        name,
        proptest::option::of(name),
    )
        .prop_map(|(urn, attr, sub)| AttrPath { urn, attr, sub })
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        any::<i32>().prop_map(|n| json!(n)),
    ]
}

fn arb_op() -> impl Strategy<Value = CompareOp> {
    proptest::sample::select(CompareOp::ALL.iter().map(|(op, _)| *op).collect::<Vec<_>>())
}

fn arb_filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        (arb_path(), arb_op(), arb_value()).prop_map(|(path, op, value)| Filter::Compare {
            path,
            op,
            value
        }),
        arb_path().prop_map(Filter::Present),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Filter::Not(Box::new(a))),
        ]
    })
}

proptest! {
    /// Printing a filter and parsing it back gives the same tree.
    #[test]
    fn print_then_parse_round_trips(f in arb_filter()) {
        let printed = f.to_string();
        prop_assert_eq!(parse(&printed).unwrap(), f, "{}", printed);
    }

    /// The parser never panics, whatever it is given.
    #[test]
    fn parser_never_panics(s in "\\PC{0,40}") {
        let _ = parse(&s);
        let _ = parse_patch_path(&s);
    }

    /// `not` is the complement of its filter, on names that match the user (in any case)
    /// as often as not.
    #[test]
    fn not_is_the_complement(
        name in prop_oneof!["[a-zA-Z]{1,8}", Just("Bjensen".to_string()), "[bB][jJ][eE][nN][sS][eE][nN]"]
    ) {
        let f = format!(r#"userName eq "{name}""#);
        prop_assert_eq!(eval(&format!("not ({f})")).unwrap(), !eval(&f).unwrap());
    }
}
