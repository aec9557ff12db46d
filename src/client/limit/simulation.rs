//! The controller against servers simulated event by event, in microseconds of simulated
//! time: no sleep, no clock, the same answers on every run. The client always has more to
//! send than the limit lets out, as a run's sixteen cases at once do against a slow server.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use super::Signal;
use super::control::{Controller, Sample};

/// One way between client and server.
const NET_US: u64 = 50;
/// What a refusal takes the server.
const REFUSAL_US: u64 = 100;
/// The first SYN retransmit of a connection the listen backlog had no room for (Linux:
/// one second, doubled on each retry).
const SYN_RETRY_US: u64 = 1_000_000;

struct Server {
    /// Requests served at once.
    workers: usize,
    /// Connections waiting to be served; those beyond wait for a SYN retransmit.
    backlog: usize,
    /// Requests held (served or waiting) at which a new one is answered 503 at once.
    refuse_at: Option<usize>,
    /// The cheapest request; each costs between one and three times it.
    service_us: u64,
}

enum Event {
    /// A connection reaches the server.
    Arrive(usize),
    /// A worker is done with a request.
    Done(usize),
    /// The client has the answer.
    Answer(usize, Signal),
}

struct Run {
    controller: Controller,
    refused: usize,
    /// Answers that took over a second: a SYN retransmit.
    stalled: usize,
    /// The highest the limit went.
    highest: usize,
}

/// Events by simulated time, in the order they were planned on a tie.
#[derive(Default)]
struct Timeline {
    queue: BinaryHeap<Reverse<(u64, usize)>>,
    events: Vec<Option<Event>>,
}

impl Timeline {
    fn at(&mut self, t: u64, e: Event) {
        self.queue.push(Reverse((t, self.events.len())));
        self.events.push(Some(e));
    }

    fn next(&mut self) -> (u64, Event) {
        let Reverse((t, i)) = self.queue.pop().expect("requests in flight");
        (t, self.events[i].take().expect("each event happens once"))
    }
}

/// The client against `server` under `--concurrency ceiling` until `answers` came back.
fn simulate(server: &Server, ceiling: usize, answers: usize) -> Run {
    let mut controller = Controller::new(ceiling);
    let mut timeline = Timeline::default();
    // xorshift: request costs that vary, the same on every run.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut cost = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        server.service_us + seed % (2 * server.service_us)
    };
    // Per request: when it was sent, and how many SYNs of it were dropped.
    let mut sent: Vec<(u64, u32)> = Vec::new();
    let (mut now, mut in_flight, mut answered) = (0, 0, 0);
    let (mut busy, mut waiting) = (0, VecDeque::new());
    let (mut refused, mut stalled, mut highest) = (0, 0, 0);
    loop {
        while in_flight < controller.limit() {
            in_flight += 1;
            timeline.at(now + NET_US, Event::Arrive(sent.len()));
            sent.push((now, 0));
        }
        let (t, event) = timeline.next();
        now = t;
        match event {
            Event::Arrive(id) => {
                if server.refuse_at.is_some_and(|n| busy + waiting.len() >= n) {
                    let answer = Event::Answer(id, Signal::ServerError);
                    timeline.at(now + REFUSAL_US + NET_US, answer);
                } else if busy < server.workers {
                    busy += 1;
                    timeline.at(now + cost(), Event::Done(id));
                } else if waiting.len() < server.backlog {
                    waiting.push_back(id);
                } else {
                    let dropped = &mut sent[id].1;
                    timeline.at(now + (SYN_RETRY_US << *dropped), Event::Arrive(id));
                    *dropped += 1;
                }
            }
            Event::Done(id) => {
                timeline.at(now + NET_US, Event::Answer(id, Signal::Success));
                match waiting.pop_front() {
                    Some(next) => timeline.at(now + cost(), Event::Done(next)),
                    None => busy -= 1,
                }
            }
            Event::Answer(id, signal) => {
                let rtt = Duration::from_micros(now - sent[id].0);
                highest = highest.max(controller.sample(Sample {
                    rtt,
                    in_flight,
                    signal,
                }));
                in_flight -= 1;
                answered += 1;
                refused += usize::from(signal == Signal::ServerError);
                stalled += usize::from(rtt > Duration::from_secs(1));
                if answered == answers {
                    return Run {
                        controller,
                        refused,
                        stalled,
                        highest,
                    };
                }
            }
        }
    }
}

#[test]
fn a_server_of_one_worker_with_a_small_backlog_gets_one_to_four() {
    for backlog in [2, 5] {
        let server = Server {
            workers: 1,
            backlog,
            refuse_at: None,
            service_us: 1_500,
        };
        let run = simulate(&server, 64, 3_000);
        let c = &run.controller;
        assert!(
            (1..=4).contains(&c.settled()),
            "backlog {backlog}: settled at {} ({} stalled)",
            c.settled(),
            run.stalled
        );
        // Each SYN dropped costs a second: a handful at most, while it learns.
        assert!(
            run.stalled <= 3,
            "backlog {backlog}: {} stalled, settled at {}",
            run.stalled,
            c.settled()
        );
    }
}

#[test]
fn a_server_of_32_workers_gets_more_than_16() {
    let server = Server {
        workers: 32,
        backlog: 128,
        refuse_at: None,
        service_us: 10_000,
    };
    let run = simulate(&server, 64, 3_000);
    assert!(
        run.controller.settled() > 16,
        "settled at {} (highest {})",
        run.controller.settled(),
        run.highest
    );
    assert!(run.controller.limit() > 16);
    // `--concurrency` stays the ceiling.
    let run = simulate(&server, 8, 3_000);
    assert_eq!(run.highest, 8);
    assert!(
        run.controller.settled() >= 6,
        "{}",
        run.controller.settled()
    );
}

#[test]
fn a_server_that_refuses_above_a_threshold_gets_no_more_than_it_serves() {
    for threshold in [3, 8, 20] {
        let server = Server {
            workers: 1_000,
            backlog: 0,
            refuse_at: Some(threshold),
            service_us: 5_000,
        };
        let run = simulate(&server, 64, 3_000);
        let settled = run.controller.settled();
        assert!(
            settled <= threshold && 2 * settled >= threshold,
            "threshold {threshold}: settled at {settled}"
        );
        assert!(
            run.refused * 50 < 3_000,
            "threshold {threshold}: {} refused",
            run.refused
        );
    }
}
