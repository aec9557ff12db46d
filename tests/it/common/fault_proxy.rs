//! A fault-injecting HTTP proxy, as a flaky network between scimitar and a server: it stands
//! on a loopback port in front of a base URL (the bundled server) and faults a seeded share
//! of the requests that reach it, each in one of the ways a network or a load balancer does
//! (see [`Fault`]). It counts what it faulted, by kind, for the tests to assert on.
//!
//! Every answer closes its connection, so each request comes on a connection of its own: a
//! dropped connection is never one the client could take for a stale pooled one and resend.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One way a request is faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Answered `503 Service Unavailable` with `Retry-After: 0`, not forwarded.
    Unavailable,
    /// Answered `429 Too Many Requests` with `Retry-After: 0`, not forwarded.
    TooMany,
    /// The connection closed once the request is read, before it is forwarded.
    DropBefore,
    /// Forwarded (the server applied it), then the connection closed without its answer.
    DropAfter,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::Unavailable,
        Fault::TooMany,
        Fault::DropBefore,
        Fault::DropAfter,
    ];
}

/// Which requests are faulted, and how.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The share of (matching) requests faulted, from 0 to 1.
    pub rate: f64,
    pub seed: u64,
    /// The kinds a faulted request is given, one picked per request by the seeded draw.
    pub kinds: Vec<Fault>,
    /// Only requests whose line (`METHOD /path?query`) contains this are faulted.
    pub only: Option<String>,
}

impl Plan {
    /// `rate` of all requests, each in one of the four kinds.
    pub fn new(rate: f64, seed: u64) -> Self {
        Plan {
            rate,
            seed,
            kinds: Fault::ALL.to_vec(),
            only: None,
        }
    }

    pub fn kinds(self, kinds: &[Fault]) -> Self {
        Plan {
            kinds: kinds.to_vec(),
            ..self
        }
    }

    pub fn only(self, pattern: &str) -> Self {
        Plan {
            only: Some(pattern.into()),
            ..self
        }
    }

    /// The fault, if any, for the `n`th matching request: a hash of the seed and `n`, so a
    /// seed gives the same sequence of faults.
    fn draw(&self, n: u64) -> Option<Fault> {
        let h = splitmix64(self.seed ^ splitmix64(n));
        let share = (h >> 11) as f64 / (1u64 << 53) as f64;
        (share < self.rate && !self.kinds.is_empty())
            .then(|| self.kinds[(h % self.kinds.len() as u64) as usize])
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A running proxy; its threads live as long as the test process.
pub struct FaultProxy {
    /// The upstream base URL with this proxy's host and port: point scimitar here.
    pub base_url: String,
    state: Arc<State>,
}

struct State {
    plan: Plan,
    /// `host:port` of the upstream.
    upstream: String,
    /// `host:port` of this proxy.
    addr: String,
    /// Requests that matched the plan's `only` (all of them without one).
    matched: AtomicU64,
    /// Requests that reached the proxy.
    requests: AtomicU64,
    faulted: Mutex<HashMap<Fault, u64>>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream_base` (`http://host:port/path`).
    pub fn start(upstream_base: &str, plan: Plan) -> FaultProxy {
        let rest = upstream_base
            .strip_prefix("http://")
            .expect("an http:// base URL");
        let (upstream, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("an address").to_string();
        let state = Arc::new(State {
            plan,
            upstream: upstream.to_string(),
            addr: addr.clone(),
            matched: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            faulted: Mutex::default(),
        });
        let serving = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = serving.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FaultProxy {
            base_url: format!("http://{addr}{path}"),
            state,
        }
    }

    /// Requests faulted in this way so far.
    pub fn faulted(&self, kind: Fault) -> u64 {
        self.state
            .faulted
            .lock()
            .unwrap()
            .get(&kind)
            .copied()
            .unwrap_or(0)
    }

    /// Requests faulted in any way so far.
    pub fn total_faulted(&self) -> u64 {
        self.state.faulted.lock().unwrap().values().sum()
    }

    /// Requests that reached the proxy so far, faulted or not.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }
}

/// Reads one request: its head and its body (by Content-Length).
fn read_request(s: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn serve(mut s: TcpStream, state: &State) {
    let Some((head, body)) = read_request(&mut s) else {
        return;
    };
    state.requests.fetch_add(1, Ordering::SeqCst);
    let line = head.lines().next().unwrap_or_default();
    let fault = match &state.plan.only {
        Some(pattern) if !line.contains(pattern.as_str()) => None,
        _ => state
            .plan
            .draw(state.matched.fetch_add(1, Ordering::SeqCst)),
    };
    if let Some(kind) = fault {
        *state.faulted.lock().unwrap().entry(kind).or_default() += 1;
    }
    match fault {
        Some(Fault::Unavailable) => refuse(&mut s, "503 Service Unavailable"),
        Some(Fault::TooMany) => refuse(&mut s, "429 Too Many Requests"),
        Some(Fault::DropBefore) => {} // dropped: the request was read, so a FIN, not a reset
        Some(Fault::DropAfter) => {
            let _ = forward(&head, &body, state);
        }
        None => {
            if let Some(answer) = forward(&head, &body, state) {
                let _ = s.write_all(&answer);
            }
        }
    }
}

fn refuse(s: &mut TcpStream, status: &str) {
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\nRetry-After: 0\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
}

/// Sends the request upstream on a connection of its own; the answer, its head and body
/// naming this proxy where they named the upstream. `None` if the upstream did not answer.
fn forward(head: &str, body: &[u8], state: &State) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(&state.upstream).ok()?;
    let mut lines = head.lines();
    let mut out = format!(
        "{}\r\nConnection: close\r\n",
        lines.next().unwrap_or_default()
    );
    for l in lines.filter(|l| !l.is_empty() && !is_header(l, "connection")) {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    up.write_all(out.as_bytes()).ok()?;
    up.write_all(body).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let (from, to) = (
        format!("http://{}", state.upstream),
        format!("http://{}", state.addr),
    );
    let head = String::from_utf8_lossy(&answer[..split]).replace(&from, &to);
    let body = String::from_utf8_lossy(&answer[split + 4..]).replace(&from, &to);
    let mut lines = head.lines();
    let mut out = format!(
        "{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        lines.next().unwrap_or_default(),
        body.len()
    );
    for l in lines.filter(|l| !is_header(l, "connection") && !is_header(l, "content-length")) {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some(out.into_bytes())
}

fn is_header(line: &str, name: &str) -> bool {
    line.split_once(':')
        .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(name))
}

/// Users and Groups on a server (`http://host:port/path` of its SCIM base), asked directly.
pub fn resources(base_url: &str, token: &str) -> (u64, u64) {
    let count = |endpoint: &str| {
        let rest = base_url
            .strip_prefix("http://")
            .expect("an http:// base URL");
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut s = TcpStream::connect(host).expect("connects");
        write!(
            s,
            "GET {path}/{endpoint}?count=0 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .expect("writes");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("reads");
        let (_, json) = answer.split_once("\r\n\r\n").expect("a head and a body");
        let list: serde_json::Value = serde_json::from_str(json).expect("a JSON list");
        list["totalResults"].as_u64().expect("totalResults")
    };
    (count("Users"), count("Groups"))
}
