//! A suite's setup shared by its read-only cases (`plan::shares_setup`): what they only read
//! need not be created for each of them. It runs once, when the first of them asks (the
//! others wait for it), its captures (`unique` included) are theirs, and the suite's teardown
//! runs after the last of them is done, a failure confirmed alone included. A case confirmed
//! alone finds the target as before sharing: every shared setup is set aside (torn down)
//! first, and set up again for the next case that shares it.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_saphyr::Spanned;
use tokio::sync::OnceCell;

use super::{Progress, Runner, Site, label, would_fail};
use crate::suite::{Step, Suite};

/// One suite's shared setup.
#[derive(Default)]
pub struct Fixture {
    /// The current run of the setup: empty until a case asks, emptied when torn down.
    set_up: Mutex<Arc<OnceCell<Arc<SetUp>>>>,
    /// The cases that have still to release it.
    users: AtomicUsize,
    /// The first failure of its teardown: every case that shares it fails by it, as each
    /// failed by its own teardown before sharing, whichever case it ran after.
    teardown: Mutex<Option<String>>,
}

/// The shared setup as it ran.
pub(super) struct SetUp {
    progress: Progress,
    /// The number of steps, setup and own, of the case whose labels its steps carry.
    total: usize,
    fill: bool,
}

impl Fixture {
    /// One more case will use it: the teardown waits until each has released it.
    pub fn expect(&self) {
        self.users.fetch_add(1, Ordering::SeqCst);
    }

    /// The setup: run by `run` for the first case that asks, awaited by the others.
    pub(super) async fn set_up<F: Future<Output = SetUp>>(
        &self,
        run: impl FnOnce() -> F,
    ) -> Arc<SetUp> {
        let cell = self.cell().clone();
        cell.get_or_init(|| async { Arc::new(run().await) })
            .await
            .clone()
    }

    /// One case is done with it; the setup to tear down when it was the last.
    fn release(&self) -> Option<Arc<SetUp>> {
        let last = self.users.fetch_sub(1, Ordering::SeqCst) == 1;
        last.then(|| self.take()).flatten()
    }

    /// Why its teardown failed, if it did.
    pub fn teardown_failure(&self) -> Option<String> {
        self.teardown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The current run of the setup, if any, which the next case to ask then runs again.
    fn take(&self) -> Option<Arc<SetUp>> {
        std::mem::take(&mut *self.cell()).get().cloned()
    }

    fn cell(&self) -> std::sync::MutexGuard<'_, Arc<OnceCell<Arc<SetUp>>>> {
        self.set_up.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The setup that cases expected but never released (libtest's filters left them out).
    fn left(&self) -> Option<Arc<SetUp>> {
        let waiting = self.users.swap(0, Ordering::SeqCst) > 0;
        waiting.then(|| self.take()).flatten()
    }
}

impl SetUp {
    pub(super) fn new(progress: Progress, total: usize, fill: bool) -> Self {
        SetUp {
            progress,
            total,
            fill,
        }
    }

    /// The setup as a case of `total` steps would have run it itself: its steps labelled
    /// with that case's count, and a failure's message with them.
    pub(super) fn for_case(
        &self,
        runner: &Runner,
        file: &Path,
        setup: &[Spanned<Step>],
        total: usize,
    ) -> Progress {
        let mut p = self.progress.clone();
        if total == self.total {
            return p;
        }
        let labels = |n: usize| -> Vec<String> {
            setup
                .iter()
                .enumerate()
                .map(|(i, s)| label(file, s, i + 1, n, false))
                .collect()
        };
        let (was, now) = (labels(self.total), labels(total));
        for r in &mut p.steps {
            if let Some((w, n)) = was.iter().zip(&now).find(|(w, _)| r.label.starts_with(*w)) {
                r.label = format!("{n}{}", &r.label[w.len()..]);
            }
        }
        let failed = p.steps.iter().find(|r| !r.failures.is_empty());
        if let (Some(f), Some(r)) = (&mut p.failure, failed)
            && let Some(i) = now.iter().position(|n| r.label.starts_with(n))
        {
            f.message = would_fail(&setup[i].value, r) + &runner.message(r, &r.failures);
        }
        p
    }
}

impl Runner {
    /// Once the last case sharing `fixture` is done (`record` is its record): the suite's
    /// teardown with the shared captures, its steps added to that case's (a failure of it
    /// is the fixture's, see [`Fixture::teardown_failure`]). Nothing otherwise.
    pub async fn release(
        &self,
        file: &Path,
        suite: &Suite,
        fixture: &Fixture,
        record: super::CaseRecord,
    ) -> super::CaseRecord {
        let Some(shared) = fixture.release() else {
            return record;
        };
        let mut progress = Progress {
            steps: record.steps,
            failure: record.failure,
            declined: record.declined,
            unkept: record.unkept,
            ..Progress::new(Default::default())
        };
        progress
            .steps
            .extend(self.discard(file, suite, fixture, Some(shared)).await);
        self.conclude(progress)
    }

    /// The suite's teardown of a shared setup that no case released, so that nothing is
    /// left for the sweep to find.
    pub async fn abandon(&self, file: &Path, suite: &Suite, fixture: &Fixture) {
        self.discard(file, suite, fixture, fixture.left()).await;
    }

    /// Tears down the shared setup while no case uses it (a case is confirmed alone), to be
    /// set up again for the next case that shares it.
    pub async fn set_aside(&self, file: &Path, suite: &Suite, fixture: &Fixture) {
        self.discard(file, suite, fixture, fixture.take()).await;
    }

    /// Runs the suite's teardown of `shared`, keeping a failure in `fixture`; its steps.
    async fn discard(
        &self,
        file: &Path,
        suite: &Suite,
        fixture: &Fixture,
        shared: Option<Arc<SetUp>>,
    ) -> Vec<super::StepRecord> {
        let Some(shared) = shared else {
            return Vec::new();
        };
        let mut progress = Progress::new(shared.progress.vars.clone());
        let teardown: Vec<&Spanned<Step>> = suite.teardown.iter().collect();
        let at = site(file, suite);
        self.tear_down(&teardown, &mut progress, shared.fill, &at)
            .await;
        if let Some(f) = progress.failure {
            let mut first = fixture.teardown.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert(f.message);
        }
        progress.steps
    }
}

/// Where the shared setup's teardown is: the suite's, not one case's.
fn site<'a>(file: &'a Path, suite: &Suite) -> Site<'a> {
    Site {
        file,
        case: format!("{}::setup", suite.name),
        complete_users: suite.complete_users,
    }
}
