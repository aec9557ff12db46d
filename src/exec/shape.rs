//! The one stage that shapes every body a case sends, in a fixed order: the case's own data,
//! then the profile's and `--fill`'s members, then the identity provider's defaults, then
//! fitting to what the target declares, last. What leaves is what was fitted, so nothing
//! added after the plan can carry what the target does not declare (a server may refuse it:
//! RFC 7644 §3.3 lets it refuse or ignore what it does not support).

use std::sync::atomic::Ordering;

use serde_json::Value;

use super::{Runner, realistic};
use crate::plan::fit::Fit;
use crate::profile::Fill;
use crate::suite::Method;
use crate::suite::template::Vars;

/// What shapes the bodies of a run.
pub struct Shaping {
    /// What the profile and `--fill` add to creates, by endpoint (see `Profile::fill`).
    pub fill: Fill,
    /// What the target declares.
    pub fit: Fit,
}

/// What a step's body may get besides its own data.
pub struct Additions {
    /// The profile's and `--fill`'s members, on a create.
    pub fill: bool,
    /// An identity provider's defaults, on a User create (`realistic`).
    pub complete_users: bool,
}

impl Runner {
    /// Shapes `body`, sent by `method` to `path` (rendered).
    pub(super) fn shape(
        &self,
        method: Method,
        path: &str,
        body: &mut Value,
        additions: Additions,
        vars: &Vars,
    ) {
        if method == Method::Post
            && let Value::Object(obj) = body
        {
            // The vendor's members first: what it asks for wins over the provider's defaults.
            if additions.fill
                && let Some(members) = self.shaping.fill.get(path)
            {
                let mut vars = vars.clone();
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                vars.insert(
                    "fill_id".into(),
                    Value::String(format!("{}-{n}", self.run_id)),
                );
                crate::profile::fill_missing(obj, members, &vars);
            }
            if additions.complete_users && path == "/Users" {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                realistic::complete_user(obj, &format!("scimitar-{}-{n}", self.run_id));
            }
        }
        self.shaping.fit.body(method, path, body);
    }
}
