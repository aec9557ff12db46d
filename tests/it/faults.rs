//! Transport faults are not verdicts: scimitar through a proxy that faults a seeded share of
//! requests (`common::fault_proxy`) in front of the bundled server.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::fault_proxy::{Fault, FaultProxy, Plan, resources};
use common::serve;

/// One request on a connection of its own; the status line, or `None` when the connection
/// closed without an answer.
fn send(base_url: &str, method: &str, path: &str, token: &str, body: &str) -> Option<String> {
    let rest = base_url.strip_prefix("http://").unwrap();
    let (host, base) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "{method} {base}{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.lines().next().map(str::to_string)
}

/// The proxy faults about its rate of requests, in each of the four ways, counts each, and
/// applies the requests it drops after forwarding.
#[test]
fn the_proxy_faults_a_seeded_share_in_each_way() {
    let token = "proxy-token";
    let server = serve(token, &[]);
    let proxy = FaultProxy::start(&server.base_url, Plan::new(0.2, 7));
    let (mut unavailable, mut too_many, mut dropped) = (0, 0, 0);
    for i in 0..200 {
        let body = format!(
            r#"{{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "proxied-{i}"}}"#
        );
        match send(&proxy.base_url, "POST", "/Users", token, &body).as_deref() {
            Some(l) if l.contains(" 201 ") => {}
            Some(l) if l.contains(" 503 ") => unavailable += 1,
            Some(l) if l.contains(" 429 ") => too_many += 1,
            None => dropped += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(proxy.requests(), 200);
    assert_eq!(unavailable, proxy.faulted(Fault::Unavailable));
    assert_eq!(too_many, proxy.faulted(Fault::TooMany));
    assert_eq!(
        dropped,
        proxy.faulted(Fault::DropBefore) + proxy.faulted(Fault::DropAfter)
    );
    for kind in Fault::ALL {
        assert!(proxy.faulted(kind) > 0, "no {kind:?} among 200 requests");
    }
    let faulted = proxy.total_faulted();
    assert!(
        (20..=60).contains(&faulted),
        "{faulted} of 200 faulted at 20 %"
    );
    // Created: every request that reached the server, including those dropped after it.
    let created = 200 - faulted + proxy.faulted(Fault::DropAfter);
    assert_eq!(resources(&server.base_url, token), (created, 0));
}

/// `only` narrows the faults to the matching requests.
#[test]
fn the_proxy_faults_only_what_it_is_told_to() {
    let token = "proxy-token";
    let server = serve(token, &[]);
    let proxy = FaultProxy::start(
        &server.base_url,
        Plan::new(1.0, 1)
            .kinds(&[Fault::DropBefore])
            .only("/Groups"),
    );
    assert!(send(&proxy.base_url, "GET", "/Groups", token, "").is_none());
    let users = send(&proxy.base_url, "GET", "/Users", token, "");
    assert!(users.is_some_and(|l| l.contains(" 200 ")));
    assert_eq!((proxy.requests(), proxy.faulted(Fault::DropBefore)), (2, 1));
}
