//! The in-flight limit as a pure function of what answers showed: no clock, no tokio, so
//! that it can be driven by a simulated server in tests.
//!
//! After TCP Vegas and the Vegas limiter of Netflix's concurrency-limits: per round (as
//! many answers as the limit, at least [`MIN_ROUND`]) the mean round trip against the
//! lowest round mean seen (the floor) tells, by Little's law, how many of the requests in
//! flight the server was serving and how many waited in its queue. Few waiting: the
//! server has room, the limit grows (by half while no trouble was seen yet, then by one).
//! Many waiting: it shrinks to what the server served plus a small queue. A 5xx answer or
//! a dropped connection halves it, once per round trip, and caps it below the in-flight
//! count the server refused at until [`PROBE_ROUNDS`] rounds have wanted to grow past the
//! cap. A server of one worker therefore settles at 2–4, one that refuses above a
//! threshold just under it, and a large one grows to its workers or `--concurrency`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Signal;

/// The limit a run starts at: low, so that a server of one worker is never flooded.
pub const START: usize = 2;

/// The fewest answers a round averages, so that one cheap or costly request does not
/// decide alone.
const MIN_ROUND: usize = 8;

/// Rounds that wanted to grow past the cap a refusal set before the cap is lifted, to see
/// whether the server bears more now.
const PROBE_ROUNDS: usize = 8;

/// What one answer, or one send that got none, showed.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// From the send to the end of the answer.
    pub rtt: Duration,
    /// Requests in flight when it finished, itself included.
    pub in_flight: usize,
    pub signal: Signal,
}

#[derive(Debug, Clone)]
pub struct Controller {
    limit: usize,
    ceiling: usize,
    lowest: usize,
    /// The lowest mean round trip of a round, in seconds: the server's answer time without
    /// a queue.
    floor: Option<f64>,
    round: Round,
    /// Growing by half a limit per round until the first shrink or trouble.
    slow_start: bool,
    cap: Option<Cap>,
    /// Answers still to come from requests sent before the last cut: their trouble is the
    /// one the cut answered, and does not cut again.
    recovering: usize,
    /// Answers by the limit they came under, for [`Controller::settled`].
    by_limit: BTreeMap<usize, u64>,
    answers: u64,
}

#[derive(Debug, Clone, Default)]
struct Round {
    answers: usize,
    rtt_sum: f64,
    in_flight_sum: usize,
    most_in_flight: usize,
}

/// The most in flight a server bore when it last refused, one below the count it refused at.
#[derive(Debug, Clone, Copy)]
struct Cap {
    limit: usize,
    /// Rounds that would have grown past it.
    held: usize,
}

impl Controller {
    /// A controller that never lets more than `ceiling` (at least one) be in flight.
    pub fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1);
        let limit = START.min(ceiling);
        Controller {
            limit,
            ceiling,
            lowest: limit,
            floor: None,
            round: Round::default(),
            slow_start: true,
            cap: None,
            recovering: 0,
            by_limit: BTreeMap::new(),
            answers: 0,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn ceiling(&self) -> usize {
        self.ceiling
    }

    /// The lowest the limit has been.
    pub fn lowest(&self) -> usize {
        self.lowest
    }

    /// Answers and failed sends seen.
    pub fn answers(&self) -> u64 {
        self.answers
    }

    /// The limit most answers came under (the higher one on a tie); the start before any.
    pub fn settled(&self) -> usize {
        self.by_limit
            .iter()
            .max_by_key(|&(limit, n)| (*n, *limit))
            .map_or(self.limit, |(limit, _)| *limit)
    }

    /// Takes in one answer; returns the limit from now on.
    pub fn sample(&mut self, s: Sample) -> usize {
        self.answers += 1;
        *self.by_limit.entry(self.limit).or_default() += 1;
        match s.signal {
            Signal::Success => {
                self.recovering = self.recovering.saturating_sub(1);
                self.round.answers += 1;
                self.round.rtt_sum += s.rtt.as_secs_f64();
                self.round.in_flight_sum += s.in_flight;
                self.round.most_in_flight = self.round.most_in_flight.max(s.in_flight);
                if self.round.answers >= self.limit.max(MIN_ROUND) {
                    self.end_round();
                }
            }
            Signal::ServerError | Signal::ConnectionFailure => self.trouble(s.in_flight),
        }
        self.limit
    }

    /// A refusal at `in_flight`: the cap goes below it, and the limit halves unless this
    /// answers a request sent before the last cut.
    fn trouble(&mut self, in_flight: usize) {
        let bore = in_flight.saturating_sub(1).max(1);
        let cap = self.cap.map_or(bore, |c| c.limit.min(bore));
        self.cap = Some(Cap {
            limit: cap,
            held: 0,
        });
        self.slow_start = false;
        if self.recovering > 0 {
            self.recovering -= 1;
            self.set(self.limit.min(cap));
            return;
        }
        self.recovering = in_flight.saturating_sub(1);
        self.set((self.limit / 2).clamp(1, cap));
    }

    fn end_round(&mut self) {
        let round = std::mem::take(&mut self.round);
        let n = round.answers as f64;
        let mean = round.rtt_sum / n;
        let floor = self.floor.map_or(mean, |f| f.min(mean));
        self.floor = Some(floor);
        let in_flight = round.in_flight_sum as f64 / n;
        // Little's law: the server served `in_flight` × floor / mean of them at a time.
        let served = if mean > 0.0 {
            in_flight * floor / mean
        } else {
            in_flight
        };
        let queued = in_flight - served;
        // A queue in proportion to the limit is noise of a larger server, not its limit.
        let alpha = (self.limit / 8).max(1) as f64;
        let beta = 2.0 * alpha + 1.0;
        if queued > beta {
            self.slow_start = false;
            let to = (served + alpha).ceil() as usize;
            // One below the limit at least, and never below one.
            self.set(to.min(self.limit - 1).max(1));
        } else if queued < alpha && round.most_in_flight >= self.limit {
            let step = if self.slow_start {
                (self.limit / 2).max(1)
            } else {
                1
            };
            let mut to = (self.limit + step).min(self.ceiling);
            if let Some(cap) = &mut self.cap {
                if to > cap.limit {
                    cap.held += 1;
                    to = to.min(cap.limit).max(self.limit);
                }
                if cap.held >= PROBE_ROUNDS {
                    self.cap = None;
                }
            }
            self.set(to);
        }
    }

    fn set(&mut self, limit: usize) {
        if limit != self.limit {
            // A new limit starts a new round: the answers so far came under the old one.
            self.round = Round::default();
        }
        self.limit = limit;
        self.lowest = self.lowest.min(limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rounds` full rounds of answers `rtt_ms` apart, with as many in flight as the limit.
    fn rounds(c: &mut Controller, n: usize, rtt_ms: u64) {
        for _ in 0..n {
            let limit = c.limit();
            for _ in 0..limit.max(MIN_ROUND) {
                c.sample(Sample {
                    rtt: Duration::from_millis(rtt_ms),
                    in_flight: limit,
                    signal: Signal::Success,
                });
            }
        }
    }

    #[test]
    fn it_grows_while_answers_stay_at_the_floor_and_shrinks_when_they_slow_down() {
        let mut c = Controller::new(64);
        assert_eq!(c.limit(), START);
        rounds(&mut c, 20, 10);
        assert_eq!(c.limit(), 64, "never above the ceiling");
        // Four times slower with as many in flight: the server serves a quarter of them.
        rounds(&mut c, 1, 40);
        assert_eq!(c.limit(), 16 + 8, "what it served and a queue of an eighth");
        rounds(&mut c, 10, 40);
        assert!(c.limit() < 24, "{}", c.limit());
    }

    #[test]
    fn a_limit_the_client_does_not_fill_does_not_grow() {
        let mut c = Controller::new(64);
        for _ in 0..100 {
            c.sample(Sample {
                rtt: Duration::from_millis(10),
                in_flight: 1,
                signal: Signal::Success,
            });
        }
        assert_eq!(c.limit(), START);
    }

    #[test]
    fn trouble_cuts_once_per_round_trip_and_caps_below_where_it_came() {
        let mut c = Controller::new(64);
        rounds(&mut c, 4, 10);
        assert_eq!(c.limit(), 9);
        let refused = |c: &mut Controller| {
            c.sample(Sample {
                rtt: Duration::from_millis(1),
                in_flight: 9,
                signal: Signal::ServerError,
            })
        };
        assert_eq!(refused(&mut c), 4, "halved");
        assert_eq!(refused(&mut c), 4, "sent before the cut: not cut again");
        // Four rounds back up to the cap, then held there.
        rounds(&mut c, 4 + PROBE_ROUNDS - 1, 10);
        assert_eq!(c.limit(), 8, "held below the nine it was refused at");
        rounds(&mut c, 2, 10);
        assert_eq!(c.limit(), 9, "then it probes above");
        assert_eq!((c.lowest(), c.settled()), (2, 8));
    }
}
