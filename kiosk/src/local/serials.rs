//! Learning the last ticket serial from the central service. A kiosk numbers its own
//! tickets from a counter in its database ([`super::tickets`]); a re-imaged kiosk (a new
//! database) would start again at 1 and hand out tickets citizens already hold. So at start
//! the kiosk asks the service for the highest serial it holds under this kiosk's issuer and
//! raises its counter to it (never lowers it: tickets reserved offline stay reserved), and
//! asks again whenever the service answers that a ticket is taken.

use std::time::Duration;

use protocol::ticket::LastSerial;

use super::outbox::Outbox;
use super::sender::backoff;
use super::{LocalError, tickets};
use crate::client::{BackendClient, ClientError};

/// Why the counter could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("last serial not received: {0}")]
    Client(#[from] ClientError),
    #[error(transparent)]
    Local(#[from] LocalError),
    /// The key file and the central service disagree on this kiosk's issuer: the key was
    /// renewed elsewhere. The counter is left alone.
    #[error("the central service knows this kiosk as issuer {service}, its key file says {key}")]
    OtherIssuer { service: u16, key: u16 },
}

/// Asks the central service once and raises the counter; returns the counter's value now.
pub async fn learn(outbox: &Outbox, client: &BackendClient) -> Result<u32, LearnError> {
    let LastSerial { issuer, last_serial } = client.last_serial().await?;
    let key = outbox.issuer();
    if issuer != key {
        return Err(LearnError::OtherIssuer { service: issuer, key });
    }
    let store = outbox.store().clone();
    let counter = tokio::task::spawn_blocking(move || tickets::raise_to(&store, key, last_serial))
        .await
        .map_err(|error| LocalError::Task(error.to_string()))??;
    tracing::info!(issuer, last_serial, counter, "ticket counter checked with the central service");
    Ok(counter)
}

/// [`learn`] until it succeeds once, with the outbox's backoff (the kiosk may start
/// offline); gives up only on an issuer the service does not know as this kiosk's.
pub(crate) async fn learn_until_known(outbox: Outbox, client: BackendClient) {
    let mut failures = 0u32;
    loop {
        match learn(&outbox, &client).await {
            Ok(_) => return,
            Err(error @ LearnError::OtherIssuer { .. }) => {
                tracing::error!(%error, "ticket counter not checked");
                return;
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let delay = backoff(failures, rand::random::<f64>()).min(Duration::from_secs(60));
                tracing::info!(%error, ?delay, "ticket counter not checked yet; trying again");
                tokio::time::sleep(delay).await;
            }
        }
    }
}
