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
use serde::Serialize;
use tokio::sync::mpsc;

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

/// The longest a publish may wait for JetStream's acknowledgement (a NATS that is gone must
/// not hold a booking for the client's whole timeout).
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// How many orders a consumer holds at once (all redelivered after [`ACK_WAIT`] if it dies).
const BATCH: usize = 16;

mod consumer;

pub use consumer::{consume, retry_delay};

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
                let sent = async {
                    js.send_publish(names.subject("order.queue"), publish)
                        .await
                        .map_err(err)?
                        .await
                        .map_err(err)
                };
                let ack = tokio::time::timeout(PUBLISH_TIMEOUT, sent)
                    .await
                    .map_err(|_| err("no acknowledgement from JetStream in time"))??;
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
                match tokio::time::timeout(PUBLISH_TIMEOUT, sent).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(subject, error = %e, "domain event not published"),
                    Err(_) => tracing::warn!(subject, "domain event not acknowledged in time"),
                }
            }
            Self::Log => {
                tracing::info!(subject, event = %String::from_utf8_lossy(&payload), "domain event");
            }
        }
    }
}
