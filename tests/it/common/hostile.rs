//! A hostile HTTP server for the robustness tests: the first path segment picks how it
//! misbehaves. `storm` and `slow` forward the rest of the path to an upstream server (the
//! bundled one), refusing each request once with 429, or answering slowly; `filterless`
//! forwards too, but refuses every filter with 400. `crowded` is a small server that answers
//! 500, with an HTML page, to each request beyond the four it is already serving.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Hostile {
    pub base: String,
    /// Requests that reached `other-origin`.
    pub other_origin_hits: Arc<AtomicUsize>,
    /// 429s the storm answered.
    pub refused: Arc<AtomicUsize>,
}

struct State {
    upstream: Option<String>,
    seen: Mutex<HashSet<Vec<u8>>>,
    other_origin_hits: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    /// This server's own address, for redirects.
    addr: String,
    /// A second listener, standing for another origin.
    other: String,
    /// Requests `crowded` is serving.
    crowd: AtomicUsize,
}

/// How many requests at once `crowded` serves.
pub const CROWD: usize = 4;

/// Starts the server; `upstream` is `host:port` of a server `storm` and `slow` forward to.
pub fn start(upstream: Option<&str>) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let other = TcpListener::bind("127.0.0.1:0").expect("bind");
    let other_origin_hits = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let state = Arc::new(State {
        upstream: upstream.map(str::to_string),
        seen: Mutex::default(),
        other_origin_hits: other_origin_hits.clone(),
        refused: refused.clone(),
        addr: listener.local_addr().unwrap().to_string(),
        other: other.local_addr().unwrap().to_string(),
        crowd: AtomicUsize::new(0),
    });
    let hits = other_origin_hits.clone();
    std::thread::spawn(move || {
        for s in other.incoming().flatten() {
            hits.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    let base = format!("http://{}", state.addr);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let state = state.clone();
            std::thread::spawn(move || serve(stream, &state));
        }
    });
    Hostile {
        base,
        other_origin_hits,
        refused,
    }
}

/// Reads one request: its head and its body (by Content-Length).
pub fn read_request(s: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = s.write_all(out.as_bytes());
    let _ = s.write_all(body);
}

const SCIM: &str = "application/scim+json";

fn serve(mut s: TcpStream, state: &State) {
    let mut start = [0u8; 64];
    let n = s.peek(&mut start).unwrap_or(0);
    if String::from_utf8_lossy(&start[..n]).contains(" /reset/") {
        // Closed with the request unread: the kernel answers with a reset, not a FIN.
        std::thread::sleep(Duration::from_millis(20));
        return;
    }
    let Some((head, body)) = read_request(&mut s) else {
        return;
    };
    let target = head.split(' ').nth(1).unwrap_or("/").to_string();
    let (behaviour, rest) = target
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((&target, ""));
    match behaviour {
        "malformed-json" => respond(&mut s, "200 OK", &[("Content-Type", SCIM.into())], br#"{"id": "x", "userName": "#),
        "wrong-content-type" => respond(&mut s, "200 OK", &[("Content-Type", "text/html".into())], br#"{"id": "x", "userName": "u", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}"#),
        "truncated" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/scim+json\r\nContent-Length: 5000\r\n\r\n{\"id\": \"x\", \"userName\"");
        }
        "huge" => {
            let size = 10 * 1024 * 1024;
            let _ = s.write_all(format!("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: {SCIM}\r\nContent-Length: {size}\r\n\r\n").as_bytes());
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..size / chunk.len() {
                if s.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
        "slow-drip" => {
            let _ = s.write_all(format!("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: {SCIM}\r\nContent-Length: 100000\r\n\r\n").as_bytes());
            for _ in 0..1000 {
                std::thread::sleep(Duration::from_millis(100));
                if s.write_all(b" ").is_err() {
                    return;
                }
            }
        }
        "hang" => std::thread::sleep(Duration::from_secs(120)),
        "error-500" => respond(&mut s, "500 Internal Server Error", &[("Content-Type", SCIM.into())], br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "500"}"#),
        "redirect-loop" => {
            let to = format!("http://{}{target}", state.addr);
            respond(&mut s, "302 Found", &[("Location", to)], b"");
        }
        "redirect-away" => {
            let to = format!("http://{}/{rest}", state.other);
            respond(&mut s, "302 Found", &[("Location", to)], b"");
        }
        "echo" => {
            // Echoes the credential back twice, in a header and in the body: a scrub that
            // stops at the first occurrence leaves one.
            let auth = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("authorization").then(|| v.trim().to_string())
                })
                .unwrap_or_default();
            let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "detail": format!("you sent {auth}, {auth}")});
            respond(&mut s, "400 Bad Request", &[("Content-Type", SCIM.into()), ("X-Echo", format!("{auth} {auth}"))], body.to_string().as_bytes());
        }
        "crowded" => {
            let serving = state.crowd.fetch_add(1, Ordering::SeqCst) + 1;
            if serving > CROWD {
                state.crowd.fetch_sub(1, Ordering::SeqCst);
                return respond(&mut s, "500 Internal Server Error", &[("Content-Type", "text/html".into())], b"<html><body><h1>500 Internal Server Error</h1></body></html>");
            }
            std::thread::sleep(Duration::from_millis(20));
            // Counted out before the answer goes, so the client's next request finds room.
            state.crowd.fetch_sub(1, Ordering::SeqCst);
            respond(&mut s, "200 OK", &[("Content-Type", SCIM.into())], br#"{"id": "x", "userName": "u", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}"#);
        }
        "storm" | "slow" | "filterless" => forward(s, state, behaviour, &head, &body, rest),
        _ => respond(&mut s, "404 Not Found", &[], b""),
    }
}

fn forward(mut s: TcpStream, state: &State, behaviour: &str, head: &str, body: &[u8], rest: &str) {
    let upstream = state.upstream.as_deref().expect("an upstream");
    if behaviour == "storm" {
        let key = [head.as_bytes(), body].concat();
        let first = state.seen.lock().unwrap().insert(key);
        if first {
            // Each request is refused once, as a rate limiter in a storm would.
            let n = state.refused.fetch_add(1, Ordering::SeqCst);
            let retry_after = match n % 3 {
                0 => vec![("Retry-After", "0".to_string())],
                1 => vec![("Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT".to_string())],
                _ => vec![], // as New Relic answers: no Retry-After
            };
            return respond(&mut s, "429 Too Many Requests", &retry_after, b"");
        }
    } else if behaviour == "slow" {
        std::thread::sleep(Duration::from_millis(40));
    } else if rest.contains("filter=") {
        let refused = br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "scimType": "invalidFilter", "detail": "filters are not supported"}"#;
        return respond(
            &mut s,
            "400 Bad Request",
            &[("Content-Type", SCIM.into())],
            refused,
        );
    }
    let mut up = TcpStream::connect(upstream).expect("upstream");
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let method = request_line.split(' ').next().unwrap_or("GET");
    let mut out = format!("{method} /{rest} HTTP/1.1\r\nConnection: close\r\n");
    for l in lines.filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:")) {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let _ = up.write_all(out.as_bytes());
    let _ = up.write_all(body);
    let mut answer = Vec::new();
    let _ = up.read_to_end(&mut answer);
    // URLs of the upstream become URLs of this proxy, and the client must not reuse the
    // connection: the head is written anew.
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = String::from_utf8_lossy(&answer[(split + 4).min(answer.len())..]).replace(
        &format!("http://{upstream}"),
        &format!("http://{}/{behaviour}", state.addr),
    );
    let mut lines = head.lines();
    let mut out = format!(
        "{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        lines.next().unwrap_or_default(),
        body.len()
    );
    for l in lines {
        let lower = l.to_ascii_lowercase();
        if !lower.starts_with("connection:") && !lower.starts_with("content-length:") {
            out.push_str(&l.replace(
                &format!("http://{upstream}"),
                &format!("http://{}/{behaviour}", state.addr),
            ));
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    let _ = s.write_all(out.as_bytes());
    let _ = s.write_all(body.as_bytes());
}
