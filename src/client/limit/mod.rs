//! How many requests may be in flight at once: a limit that follows the target (see
//! [`control`]), never above `--concurrency`. It starts low and grows while answers come as
//! fast as they did unloaded, and shrinks when they slow down, on 5xx answers and on
//! connections that failed, so that a small server is not flooded by a run and a large one
//! soon gets the concurrency it bears.
//!
//! The limit is a tokio semaphore. A cut takes the free permits away at once and records
//! the rest as a debt that requests in flight pay by not returning their permit: nobody
//! waits for a cut, the request that saw the trouble least of all.

mod control;
#[cfg(test)]
mod simulation;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Semaphore, SemaphorePermit, watch};

use control::{Controller, Sample};

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
    /// The limit most requests were sent under.
    pub settled_limit: usize,
    /// Requests sent, each retry included.
    pub requests: u64,
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
    control: Controller,
    /// The limit the permits stand for: the controller's, applied.
    limit: usize,
    /// Permits to forget as they come back instead of releasing them: the part of a cut
    /// that was in flight. Permits in circulation (free and held) are `limit + debt`.
    debt: usize,
    /// Slots holding a permit: the requests in flight.
    held: usize,
    server_errors: u64,
    connection_failures: u64,
}

impl Limiter {
    pub fn new(max: usize) -> Self {
        let control = Controller::new(max.min(Semaphore::MAX_PERMITS));
        let limit = control.limit();
        Limiter {
            permits: Semaphore::new(limit),
            state: Mutex::new(State {
                control,
                limit,
                debt: 0,
                held: 0,
                server_errors: 0,
                connection_failures: 0,
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
        self.state().held += 1;
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
        let st = self.state();
        LoadStats {
            server_errors: st.server_errors,
            connection_failures: st.connection_failures,
            lowest_limit: st.control.lowest(),
            max_limit: st.control.ceiling(),
            settled_limit: st.control.settled(),
            requests: st.control.answers(),
        }
    }

    /// Tells the controller what a send held by a slot showed, `rtt` after it went out,
    /// and applies the limit it answers.
    fn record(&self, signal: Signal, rtt: Duration) {
        let mut st = self.state();
        match signal {
            Signal::Success => {}
            Signal::ServerError => st.server_errors += 1,
            Signal::ConnectionFailure => st.connection_failures += 1,
        }
        let in_flight = st.held;
        let limit = st.control.sample(Sample {
            rtt,
            in_flight,
            signal,
        });
        self.apply(&mut st, limit);
    }

    /// Makes the permits stand for `limit`: a rise first cancels what is owed, a cut takes
    /// the free permits and owes the rest.
    fn apply(&self, st: &mut State, limit: usize) {
        if limit > st.limit {
            let rise = limit - st.limit;
            let cancelled = rise.min(st.debt);
            st.debt -= cancelled;
            self.permits.add_permits(rise - cancelled);
        } else {
            st.debt += st.limit - limit;
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
        st.limit = limit;
    }
}

/// Room for one request; given back (or, to pay a cut, forgotten) when dropped.
pub struct Slot<'a> {
    limiter: &'a Limiter,
    permit: Option<SemaphorePermit<'a>>,
}

impl Slot<'_> {
    /// What the send made `rtt` ago showed.
    pub fn record(&self, signal: Signal, rtt: Duration) {
        self.limiter.record(signal, rtt);
    }

    /// Gives the room back while the request waits out a backoff: the wait sends nothing,
    /// so others may. The request stays counted for [`Limiter::idle`].
    pub fn release(&mut self) {
        let mut st = self.limiter.state();
        if let Some(p) = self.permit.take() {
            st.held -= 1;
            // Under the lock, so that a cut never sees a permit on its way back.
            if st.debt > 0 {
                st.debt -= 1;
                p.forget();
            } else {
                drop(p);
            }
        }
    }

    /// Waits for room again after [`Slot::release`].
    pub async fn reacquire(&mut self) {
        if self.permit.is_none() {
            let permit = self.limiter.permits.acquire().await;
            self.permit = Some(permit.expect("the semaphore is never closed"));
            self.limiter.state().held += 1;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.release();
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

    /// Sets the limit as the controller would.
    fn set(l: &Limiter, limit: usize) {
        let mut st = l.state();
        l.apply(&mut st, limit);
    }

    #[tokio::test]
    async fn a_cut_takes_free_permits_at_once_and_the_rest_as_requests_finish() {
        let l = Limiter::new(8);
        set(&l, 8);
        let held = hold(&l, 2).await;
        set(&l, 4); // the four it cuts are free
        assert_eq!((l.limit(), free(&l), l.state().debt), (4, 2, 0));
        set(&l, 2); // two free, none owed
        assert_eq!((l.limit(), free(&l), l.state().debt), (2, 0, 0));
        set(&l, 1); // one owed by the two in flight
        assert_eq!((l.limit(), free(&l), l.state().debt), (1, 0, 1));
        // A rise first cancels what is owed.
        set(&l, 3);
        assert_eq!((l.limit(), free(&l), l.state().debt), (3, 1, 0));
        drop(held);
        assert_eq!(free(&l), 3, "no permit leaked or made up");
        l.idle().await;
    }

    #[tokio::test]
    async fn what_sends_show_reaches_the_controller_and_the_stats() {
        let l = Limiter::new(8);
        assert_eq!(l.limit(), control::START, "a run starts low");
        let held = hold(&l, 2).await;
        assert_eq!(l.state().held, 2);
        for _ in 0..3 {
            held[0].record(Signal::Success, Duration::from_millis(1));
        }
        held[1].record(Signal::ServerError, Duration::from_millis(1));
        assert_eq!(l.limit(), 1, "the server refused at two in flight");
        held[0].record(Signal::ConnectionFailure, Duration::from_millis(1));
        drop(held);
        assert_eq!((free(&l), l.state().held), (1, 0));
        assert_eq!(
            l.stats(),
            LoadStats {
                server_errors: 1,
                connection_failures: 1,
                lowest_limit: 1,
                max_limit: 8,
                settled_limit: 2,
                requests: 5,
            }
        );
    }

    #[tokio::test]
    async fn idle_waits_for_the_requests_in_flight_whatever_the_limit() {
        let l = std::sync::Arc::new(Limiter::new(4));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = {
            let l = l.clone();
            tokio::spawn(async move {
                let s = l.acquire().await;
                s.record(Signal::ServerError, Duration::ZERO);
                s.record(Signal::ServerError, Duration::ZERO);
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

    /// A request waiting out a backoff gives its room to another, and takes it back after;
    /// `idle` waits for it all the while.
    #[tokio::test]
    async fn a_released_slot_lends_its_room_and_idle_still_waits_for_it() {
        let l = Limiter::new(64);
        let mut held = hold(&l, l.limit()).await;
        assert_eq!(free(&l), 0);
        held[0].release();
        assert_eq!(free(&l), 1);
        let other = poll_once(&mut Box::pin(l.acquire())).expect("the room lent");
        assert_eq!(free(&l), 0);
        drop(other);
        held[0].reacquire().await;
        assert_eq!(free(&l), 0);
        held[0].release();
        let mut waiting = held.remove(0);
        drop(held);
        let mut idle = Box::pin(l.idle());
        assert!(poll_once(&mut idle).is_none(), "one waits out its backoff");
        waiting.reacquire().await;
        drop(waiting);
        assert!(poll_once(&mut idle).is_some());
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
