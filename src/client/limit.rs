//! How many requests may be in flight at once: at most `--concurrency`, halved each time the
//! target shows trouble (a 5xx answer, a connection that failed), and grown again by one
//! after `limit` successes in a row while the limit is in use, so that a small server is
//! not flattened by a run and a healthy one soon gets the full concurrency back.
//!
//! The limit is a tokio semaphore. A cut takes the free permits away at once and records
//! the rest as a debt that requests in flight pay by not returning their permit: nobody
//! waits for a cut, the request that saw the trouble least of all.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::{Semaphore, SemaphorePermit, watch};

/// The trouble a target showed over a whole run, and what it did to the in-flight limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LoadStats {
    /// Answers with a 5xx status; each answer to a retried request counts.
    pub server_errors: u64,
    /// Sends that got no whole answer: connection refused or reset, timed out.
    pub connection_failures: u64,
    /// The lowest in-flight limit reached.
    pub lowest_limit: usize,
    /// The highest: `--concurrency`.
    pub max_limit: usize,
}

/// What one send told about the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Success,
    ServerError,
    ConnectionFailure,
}

pub struct Limiter {
    permits: Semaphore,
    state: Mutex<State>,
    /// Requests holding a slot or waiting for one, watched by [`Limiter::idle`].
    in_flight: watch::Sender<usize>,
}

struct State {
    limit: usize,
    /// Permits to forget as they come back instead of releasing them: the part of a cut
    /// that was in flight. Permits in circulation (free and held) are `limit + debt`.
    debt: usize,
    /// Successes since the limit last changed.
    successes: usize,
    stats: LoadStats,
}

impl Limiter {
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Limiter {
            permits: Semaphore::new(max),
            state: Mutex::new(State {
                limit: max,
                debt: 0,
                successes: 0,
                stats: LoadStats {
                    server_errors: 0,
                    connection_failures: 0,
                    lowest_limit: max,
                    max_limit: max,
                },
            }),
            in_flight: watch::Sender::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for room under the limit.
    pub async fn acquire(&self) -> Slot<'_> {
        // Counted from now, so that `idle` also waits for those queued: a permit goes
        // straight from the request that gives it back to the next in the queue.
        self.in_flight.send_modify(|n| *n += 1);
        let mut slot = Slot {
            limiter: self,
            permit: None,
        };
        // If this wait is given up, the slot is dropped without a permit.
        let permit = self.permits.acquire().await;
        slot.permit = Some(permit.expect("the semaphore is never closed"));
        slot
    }

    /// Returns once no request holds a slot or waits for one.
    pub async fn idle(&self) {
        let mut watch = self.in_flight.subscribe();
        // The sender lives in `self`: it cannot be dropped while this waits.
        let _ = watch.wait_for(|n| *n == 0).await;
    }

    pub fn limit(&self) -> usize {
        self.state().limit
    }

    pub fn stats(&self) -> LoadStats {
        self.state().stats
    }

    /// Halves the limit on trouble; adds one after `limit` successes in a row, if requests
    /// in flight or queued fill at least half of it (a client that hardly uses the limit
    /// learns nothing about what the target bears).
    pub fn record(&self, signal: Signal) {
        let mut st = self.state();
        match signal {
            Signal::Success => {
                st.successes += 1;
                if st.successes < st.limit {
                    return;
                }
                st.successes = 0;
                let in_use = 2 * *self.in_flight.borrow() >= st.limit;
                if st.limit < st.stats.max_limit && in_use {
                    st.limit += 1;
                    if st.debt > 0 {
                        st.debt -= 1;
                    } else {
                        self.permits.add_permits(1);
                    }
                }
            }
            Signal::ServerError | Signal::ConnectionFailure => {
                if signal == Signal::ServerError {
                    st.stats.server_errors += 1;
                } else {
                    st.stats.connection_failures += 1;
                }
                st.successes = 0;
                let cut = st.limit - (st.limit / 2).max(1);
                st.limit -= cut;
                st.stats.lowest_limit = st.stats.lowest_limit.min(st.limit);
                st.debt += cut;
                while st.debt > 0 {
                    match self.permits.try_acquire() {
                        Ok(p) => {
                            p.forget();
                            st.debt -= 1;
                        }
                        Err(_) => break,
                    }
                }
            }
        }
    }
}

/// Room for one request; given back (or, to pay a cut, forgotten) when dropped.
pub struct Slot<'a> {
    limiter: &'a Limiter,
    permit: Option<SemaphorePermit<'a>>,
}

impl Slot<'_> {
    pub fn record(&self, signal: Signal) {
        self.limiter.record(signal);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut st = self.limiter.state();
        if let Some(p) = self.permit.take() {
            // Under the lock, so that a cut never sees a permit on its way back.
            if st.debt > 0 {
                st.debt -= 1;
                p.forget();
            } else {
                drop(p);
            }
        }
        drop(st);
        self.limiter.in_flight.send_modify(|n| *n -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Permits anyone could take now.
    fn free(l: &Limiter) -> usize {
        l.permits.available_permits()
    }

    #[tokio::test]
    async fn trouble_halves_the_limit_down_to_one_and_successes_grow_it_back_to_the_maximum() {
        let l = Limiter::new(8);
        let held: Vec<_> = hold(&l, 8).await;
        assert_eq!(free(&l), 0);
        l.record(Signal::ServerError);
        assert_eq!(l.limit(), 4, "halved");
        l.record(Signal::ConnectionFailure);
        l.record(Signal::ServerError);
        l.record(Signal::ServerError);
        assert_eq!(l.limit(), 1, "not below one");
        // The eight in flight finish; seven permits pay the debt, one comes back.
        drop(held);
        assert_eq!(free(&l), 1);
        assert_eq!(*l.in_flight.borrow(), 0);

        // One at a time: the limit of one is in use, so it grows to two, then stays while
        // only half of it is used.
        for _ in 0..10 {
            let s = l.acquire().await;
            s.record(Signal::Success);
        }
        assert_eq!(l.limit(), 3);
        // At full use it grows by one per `limit` successes, and never above the maximum.
        for _ in 0..200 {
            let limit = l.limit();
            let slots = hold(&l, limit).await;
            for s in &slots {
                s.record(Signal::Success);
            }
        }
        assert_eq!(l.limit(), 8);
        assert_eq!(free(&l), 8, "no permit leaked or made up");
        let stats = l.stats();
        assert_eq!(
            stats,
            LoadStats {
                server_errors: 3,
                connection_failures: 1,
                lowest_limit: 1,
                max_limit: 8
            }
        );
    }

    /// At full use the limit grows by one only after as many successes in a row as it is.
    #[tokio::test]
    async fn the_limit_grows_after_as_many_successes_as_it_is() {
        let l = Limiter::new(8);
        l.record(Signal::ServerError);
        assert_eq!(l.limit(), 4);
        let slots = hold(&l, 4).await;
        for s in &slots[..3] {
            s.record(Signal::Success);
        }
        assert_eq!(l.limit(), 4);
        slots[3].record(Signal::Success);
        assert_eq!(l.limit(), 5);
    }

    #[tokio::test]
    async fn a_cut_takes_free_permits_at_once_and_the_rest_as_requests_finish() {
        let l = Limiter::new(8);
        let held = hold(&l, 2).await;
        l.record(Signal::ServerError); // 8 -> 4: the four it cuts are free
        assert_eq!((l.limit(), free(&l), l.state().debt), (4, 2, 0));
        l.record(Signal::ServerError); // 4 -> 2: two free, none owed
        assert_eq!((l.limit(), free(&l), l.state().debt), (2, 0, 0));
        l.record(Signal::ServerError); // 2 -> 1: one owed by the two in flight
        assert_eq!((l.limit(), free(&l), l.state().debt), (1, 0, 1));
        // Growth first cancels what is owed.
        l.record(Signal::Success);
        assert_eq!((l.limit(), free(&l), l.state().debt), (2, 0, 0));
        drop(held);
        assert_eq!(free(&l), 2);
        l.idle().await;
    }

    #[tokio::test]
    async fn idle_waits_for_the_requests_in_flight_whatever_the_limit() {
        let l = std::sync::Arc::new(Limiter::new(4));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = {
            let l = l.clone();
            tokio::spawn(async move {
                let s = l.acquire().await;
                s.record(Signal::ServerError);
                s.record(Signal::ServerError);
                let _ = rx.await;
            })
        };
        while *l.in_flight.borrow() == 0 {
            tokio::task::yield_now().await;
        }
        let idle = l.idle();
        tokio::pin!(idle);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), idle.as_mut())
                .await
                .is_err(),
            "one is in flight"
        );
        tx.send(()).unwrap();
        task.await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), idle)
            .await
            .expect("idle once it finished");
        assert_eq!((l.limit(), free(&l)), (1, 1));
    }

    #[tokio::test]
    async fn idle_also_waits_for_the_queued_and_a_wait_given_up_is_not_counted() {
        let l = Limiter::new(1);
        let first = l.acquire().await;
        let mut given_up = Box::pin(l.acquire());
        assert!(poll_once(&mut given_up).is_none(), "queued");
        drop(given_up);
        assert_eq!(*l.in_flight.borrow(), 1);
        let mut queued = Box::pin(l.acquire());
        assert!(poll_once(&mut queued).is_none());
        drop(first);
        let mut idle = Box::pin(l.idle());
        assert!(poll_once(&mut idle).is_none(), "one is queued");
        let second = queued.await;
        assert!(poll_once(&mut idle).is_none(), "and now in flight");
        drop(second);
        assert!(poll_once(&mut idle).is_some());
        assert_eq!(free(&l), 1);
    }

    /// Polls `f` once.
    fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match std::pin::Pin::new(f).poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    /// `n` slots, taken one after another.
    async fn hold(l: &Limiter, n: usize) -> Vec<Slot<'_>> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(l.acquire().await);
        }
        out
    }
}
