//! The order consumer: handles each message, retries failures with a growing delay, moves
//! what can never succeed (or keeps failing) to the dead-letter stream, and reports its backlog.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use futures_util::StreamExt;
use tokio::sync::watch;

use super::{
    BATCH, DEAD_AFTER, DEAD_DELIVERED, DEAD_REASON, HandleError, Handler, Inbox, Names,
    RETRY_BACKOFF, err,
};

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Runs the consumer until `stop` turns true; finishes and acks the message in hand first.
pub async fn consume<H: Handler>(inbox: Inbox, handler: H, mut stop: watch::Receiver<bool>) {
    match inbox {
        Inbox::Local(mut rx) => loop {
            tokio::select! {
                () = stopped(&mut stop) => break,
                msg = rx.recv() => match msg {
                    Some(payload) => {
                        // In process there is nowhere to keep it: the failure is logged and counted.
                        if let Err(e) = handler.handle(&payload).await {
                            metrics::counter!("queue_dead_lettered_total", "kind" => "in_process").increment(1);
                            tracing::error!(error = %crate::telemetry::chain(&e), "queued order could not be persisted");
                            handler.given_up(&payload).await;
                        }
                    }
                    None => break,
                },
            }
        },
        Inbox::Nats { mut consumer, js, names } => {
            let mut messages =
                match consumer.stream().max_messages_per_batch(BATCH).messages().await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!(error = %e, "order consumer could not start");
                        return;
                    }
                };
            let mut lag = tokio::time::interval(LAG_EVERY);
            loop {
                let next = tokio::select! {
                    () = stopped(&mut stop) => break,
                    _ = lag.tick() => {
                        record_lag(&mut consumer).await;
                        continue;
                    }
                    next = messages.next() => next,
                };
                let Some(Ok(msg)) = next else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
                let outcome = if delivered > DEAD_AFTER {
                    // Delivered this often without an outcome: its consumer died on it each time.
                    Err(HandleError::Reject(
                        format!("delivered {} times without an outcome", delivered - 1).into(),
                    ))
                } else {
                    handler.handle(&msg.payload).await
                };
                let dead = match outcome {
                    Ok(()) => {
                        if let Err(e) = msg.ack().await {
                            tracing::warn!(error = %e, "ack failed; the order will be redelivered and skipped");
                        }
                        continue;
                    }
                    Err(HandleError::Retry(e)) if delivered < DEAD_AFTER => {
                        let delay = retry_delay(delivered);
                        tracing::warn!(error = %crate::telemetry::chain(e.as_ref()), delivered, retry_in_ms = delay.as_millis() as u64, "queued order not persisted; will be retried");
                        if let Err(e) = msg.ack_with(jetstream::AckKind::Nak(Some(delay))).await {
                            tracing::warn!(error = %e, "could not schedule a retry; redelivered after the ack wait");
                        }
                        continue;
                    }
                    Err(HandleError::Retry(e)) => (e, "retries exhausted"),
                    Err(HandleError::Reject(e)) => (e, "rejected"),
                };
                if dead_letter(&js, &names, &msg, delivered, dead).await {
                    handler.given_up(&msg.payload).await;
                }
            }
        }
    }
    tracing::info!("order consumer stopped");
}

/// How often the consumer's backlog is read into `queue_consumer_pending`.
const LAG_EVERY: Duration = Duration::from_secs(5);

/// The delay before redelivering a message that failed on its `delivered`-th delivery.
pub fn retry_delay(delivered: i64) -> Duration {
    let at = usize::try_from(delivered.max(1) - 1).unwrap_or(usize::MAX);
    RETRY_BACKOFF[at.min(RETRY_BACKOFF.len() - 1)]
}

/// Records the consumer's backlog (not yet delivered, and delivered but not acknowledged).
async fn record_lag(consumer: &mut jetstream::consumer::Consumer<pull::Config>) {
    match consumer.info().await {
        Ok(info) => {
            metrics::gauge!("queue_consumer_pending").set(info.num_pending as f64);
            metrics::gauge!("queue_consumer_ack_pending").set(info.num_ack_pending as f64);
        }
        Err(e) => tracing::debug!(error = %e, "consumer info unavailable"),
    }
}

/// Moves `msg` to the dead-letter stream with its reason, then terminates it. If the dead
/// letter cannot be written the message is left for redelivery (JetStream's `MaxDeliver` sits
/// above [`DEAD_AFTER`] for this). Whether it was dead-lettered.
async fn dead_letter(
    js: &jetstream::Context,
    names: &Names,
    msg: &jetstream::Message,
    delivered: i64,
    (cause, kind): (Box<dyn std::error::Error + Send + Sync>, &'static str),
) -> bool {
    let reason = format!("{kind}: {}", crate::telemetry::chain(cause.as_ref()));
    let publish = jetstream::context::Publish::build()
        .payload(msg.payload.clone())
        .header(DEAD_REASON, reason.as_str())
        .header(DEAD_DELIVERED, delivered.to_string().as_str());
    let written = async {
        js.send_publish(names.subject("order.dead"), publish).await.map_err(err)?.await.map_err(err)
    };
    match written.await {
        Ok(_) => {
            metrics::counter!("queue_dead_lettered_total", "kind" => kind).increment(1);
            tracing::error!(reason, delivered, "queued order dead-lettered");
            if let Err(e) = msg.ack_with(jetstream::AckKind::Term).await {
                tracing::warn!(error = %e, "could not terminate a dead-lettered message");
            }
            true
        }
        Err(e) => {
            tracing::error!(reason, error = %e, "dead letter not written; the order stays queued");
            false
        }
    }
}
