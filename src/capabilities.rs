//! What the target advertises in its ServiceProviderConfig, read once before planning, so
//! that a case needing an optional feature the server does not offer is skipped with the
//! reason instead of failing.

use serde_json::Value;

use crate::suite::{Feature, Method};
use crate::target::Client;
use crate::target::client::{Credentials, Outcome, Outgoing};

/// The advertised features, or why they could not be read (then every case runs).
pub enum Capabilities {
    Advertised(Value),
    Unknown(String),
}

impl Capabilities {
    pub async fn discover(client: &Client) -> Self {
        let exchange = client
            .send(Outgoing {
                method: Method::Get,
                path: "/ServiceProviderConfig",
                query: &[],
                headers: &[],
                body: None,
                credentials: Credentials::Target,
            })
            .await;
        match exchange.outcome {
            Outcome::Response(r) if r.status == 200 => match serde_json::from_str(&r.body) {
                Ok(v) => Capabilities::Advertised(v),
                Err(e) => Capabilities::Unknown(format!("its body is not JSON: {e}")),
            },
            Outcome::Response(r) => Capabilities::Unknown(format!("it answered {}", r.status)),
            Outcome::Error(e) => Capabilities::Unknown(e),
        }
    }

    /// Why a case needing `features` cannot run here, if it cannot.
    pub fn missing(&self, features: &[Feature]) -> Option<String> {
        let Capabilities::Advertised(spc) = self else {
            return None;
        };
        let absent: Vec<String> = features
            .iter()
            .filter(|f| spc[f.key()]["supported"] != Value::Bool(true))
            .map(|f| format!("{}.supported", f.key()))
            .collect();
        (!absent.is_empty()).then(|| format!("not advertised: {}", absent.join(", ")))
    }
}
