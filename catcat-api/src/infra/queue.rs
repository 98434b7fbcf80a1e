//! Order creation is queued (`order.queue`) and persisted by a consumer, which clips peaks: a
//! burst of bookings becomes a steady stream of inserts. With `NATS_URL` the queue is a
//! JetStream stream (deduplicated by order id, explicit acks, bounded redelivery, created
//! idempotently by whichever replica starts first); without it, an in-process channel.
//! Domain events (`order.created`, `order.status_changed`, `review.created`) go to a second
//! stream, deduplicated by event id.
//!
//! The queue cannot loop: a message that keeps failing is retried with a growing delay
//! ([`RETRY_BACKOFF`]) and, after [`DEAD_AFTER`] deliveries (or at once, when it can never
//! succeed), moved to the dead-letter stream (`order.dead`, with its reason in a header) and
//! counted; the messages behind it are not held up. A message delivered [`DEAD_AFTER`] times
//! without an outcome (its consumer died each time) is dead-lettered on its next delivery, and
//! JetStream's own `MaxDeliver` ([`MAX_DELIVER`]) stays above that as a backstop.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::AckPolicy, consumer::pull, stream};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::{mpsc, watch};

/// A queue or event failure.
#[derive(Debug, thiserror::Error)]
#[error("queue error: {0}")]
pub struct QueueError(#[source] Box<dyn std::error::Error + Send + Sync>);

pub(crate) fn err(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> QueueError {
    QueueError(e.into())
}

/// Subjects and stream names, with an optional prefix (a namespace per deployment or test).
#[derive(Debug, Clone)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// Names under `prefix` (empty: the plain `order.queue`, …).
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }

    /// `name` under the prefix.
    pub fn subject(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn stream(&self, name: &str) -> String {
        let p: String = self
            .prefix
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
            .collect();
        format!("{p}CATCAT_{name}")
    }
}

/// Where queued orders go.
#[derive(Debug, Clone)]
pub enum Queue {
    /// JetStream.
    Nats {
        /// The context.
        js: jetstream::Context,
        /// Subjects and streams.
        names: Names,
    },
    /// This process.
    Local(mpsc::UnboundedSender<Vec<u8>>),
}

/// Where the consumer reads from.
pub enum Inbox {
    /// A durable pull consumer, and where its dead letters go.
    Nats {
        /// The consumer.
        consumer: Box<jetstream::consumer::Consumer<pull::Config>>,
        /// The context dead letters are published with.
        js: Box<jetstream::Context>,
        /// Subjects.
        names: Names,
    },
    /// This process.
    Local(mpsc::UnboundedReceiver<Vec<u8>>),
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Nats { .. } => "Inbox::Nats",
            Self::Local(_) => "Inbox::Local",
        })
    }
}

/// How long a delivered, unacknowledged order waits before redelivery.
pub const ACK_WAIT: Duration = Duration::from_secs(5);

/// How many orders a consumer holds at once (all redelivered after [`ACK_WAIT`] if it dies).
const BATCH: usize = 16;

/// How many deliveries a failing message gets before it is dead-lettered.
pub const DEAD_AFTER: i64 = 5;

/// JetStream's own bound on deliveries: above [`DEAD_AFTER`], so the consumer dead-letters a
/// message before JetStream would drop it silently.
pub const MAX_DELIVER: i64 = DEAD_AFTER + 3;

/// The delay before the n-th retry of a message that failed (then the last one, repeated).
pub const RETRY_BACKOFF: [Duration; 4] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// The header a dead letter carries its reason in.
pub const DEAD_REASON: &str = "Catcat-Dead-Reason";

/// The header a dead letter carries its delivery count in.
pub const DEAD_DELIVERED: &str = "Catcat-Delivered";

/// Connects to NATS and creates (or finds) the streams and the durable consumer.
pub async fn nats(
    client: async_nats::Client,
    names: Names,
) -> Result<(Queue, Inbox, Events), QueueError> {
    let js = jetstream::new(client);
    let (orders, _events, _dead) = tokio::try_join!(
        js.get_or_create_stream(stream::Config {
            name: names.stream("ORDERS"),
            subjects: vec![names.subject("order.queue")],
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        }),
        js.get_or_create_stream(stream::Config {
            name: names.stream("EVENTS"),
            subjects: vec![
                names.subject("order.created"),
                names.subject("order.status_changed"),
                names.subject("review.created"),
            ],
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        }),
        js.get_or_create_stream(stream::Config {
            name: names.stream("DEAD"),
            subjects: vec![names.subject("order.dead")],
            max_age: Duration::from_secs(14 * 24 * 3600),
            ..Default::default()
        }),
    )
    .map_err(err)?;
    let consumer = orders
        .get_or_create_consumer(
            "order-persister",
            pull::Config {
                durable_name: Some("order-persister".into()),
                ack_policy: AckPolicy::Explicit,
                // What a stopped or crashed consumer had in hand is redelivered after this.
                ack_wait: ACK_WAIT,
                max_deliver: MAX_DELIVER,
                // No `backoff` here: it would override the delays the consumer asks for when
                // it schedules a retry ([`RETRY_BACKOFF`]).
                filter_subject: names.subject("order.queue"),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
    Ok((
        Queue::Nats { js: js.clone(), names: names.clone() },
        Inbox::Nats {
            consumer: Box::new(consumer),
            js: Box::new(js.clone()),
            names: names.clone(),
        },
        Events::Nats { js: Box::new(js), names },
    ))
}

/// An in-process queue and its inbox.
pub fn local() -> (Queue, Inbox, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Queue::Local(tx), Inbox::Local(rx), Events::Log)
}

/// What a publish did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The message is queued.
    New,
    /// A message with the same id is queued already (inside the duplicate window): this one
    /// was dropped.
    Duplicate,
}

impl Queue {
    /// Queues an order; `id` deduplicates retries of the same publish (counted in
    /// `queue_duplicates_total`).
    pub async fn publish(&self, id: i64, payload: Vec<u8>) -> Result<Published, QueueError> {
        match self {
            Self::Nats { js, names } => {
                let publish = jetstream::context::Publish::build()
                    .payload(payload.into())
                    .message_id(id.to_string());
                let ack = js
                    .send_publish(names.subject("order.queue"), publish)
                    .await
                    .map_err(err)?
                    .await
                    .map_err(err)?;
                if ack.duplicate {
                    metrics::counter!("queue_duplicates_total").increment(1);
                    return Ok(Published::Duplicate);
                }
                Ok(Published::New)
            }
            Self::Local(tx) => {
                tx.send(payload).map_err(|_| err("the consumer has stopped"))?;
                Ok(Published::New)
            }
        }
    }
}

/// Why a message was not handled.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// It may succeed later (a dependency is down): leave it for redelivery.
    #[error("will be retried")]
    Retry(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// It can never succeed (unreadable, against the rules): drop it now, loudly.
    #[error("cannot be handled")]
    Reject(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What the consumer does with one message.
pub trait Handler: Send + Sync {
    /// Handles one message; [`HandleError::Retry`] leaves it for redelivery.
    fn handle(&self, payload: &[u8]) -> impl Future<Output = Result<(), HandleError>> + Send;

    /// The message was given up (dead-lettered): undo what announced it, if anything.
    fn given_up(&self, payload: &[u8]) -> impl Future<Output = ()> + Send {
        let _ = payload;
        async {}
    }
}

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

/// Where domain events go.
#[derive(Debug, Clone)]
pub enum Events {
    /// JetStream, deduplicated by event id.
    Nats {
        /// The context.
        js: Box<jetstream::Context>,
        /// Subjects.
        names: Names,
    },
    /// Logged only (single node).
    Log,
}

impl Events {
    /// Publishes `event` on `subject` (e.g. `order.status_changed`), at most once per `id`.
    /// A failure is logged, never returned: the state change already happened.
    pub async fn publish<T: Serialize>(&self, subject: &str, id: i64, event: &T) {
        let Ok(payload) = serde_json::to_vec(event) else { return };
        match self {
            Self::Nats { js, names } => {
                let publish = jetstream::context::Publish::build()
                    .payload(payload.into())
                    .message_id(id.to_string());
                let sent = async {
                    js.send_publish(names.subject(subject), publish)
                        .await
                        .map_err(err)?
                        .await
                        .map_err(err)
                };
                if let Err(e) = sent.await {
                    tracing::warn!(subject, error = %e, "domain event not published");
                }
            }
            Self::Log => {
                tracing::info!(subject, event = %String::from_utf8_lossy(&payload), "domain event");
            }
        }
    }
}
