//! Order creation is queued (`order.queue`) and persisted by a consumer, which clips peaks: a
//! burst of bookings becomes a steady stream of inserts. With `NATS_URL` the queue is a
//! JetStream stream (deduplicated by order id, explicit acks, bounded redelivery, created
//! idempotently by whichever replica starts first); without it, an in-process channel.
//! Domain events (`order.created`, `order.status_changed`, `review.created`) go to a second
//! stream, deduplicated by event id.

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
    /// A durable pull consumer.
    Nats(Box<jetstream::consumer::Consumer<pull::Config>>),
    /// This process.
    Local(mpsc::UnboundedReceiver<Vec<u8>>),
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Nats(_) => "Inbox::Nats",
            Self::Local(_) => "Inbox::Local",
        })
    }
}

/// How long a delivered, unacknowledged order waits before redelivery.
pub const ACK_WAIT: Duration = Duration::from_secs(5);

/// How many orders a consumer holds at once (all redelivered after [`ACK_WAIT`] if it dies).
const BATCH: usize = 16;

/// How many times a message is delivered before it is given up (and logged).
pub const MAX_DELIVER: i64 = 5;

/// Connects to NATS and creates (or finds) the streams and the durable consumer.
pub async fn nats(
    client: async_nats::Client,
    names: Names,
) -> Result<(Queue, Inbox, Events), QueueError> {
    let js = jetstream::new(client);
    let (orders, _events) = tokio::try_join!(
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
                filter_subject: names.subject("order.queue"),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
    Ok((
        Queue::Nats { js: js.clone(), names: names.clone() },
        Inbox::Nats(Box::new(consumer)),
        Events::Nats { js: Box::new(js), names },
    ))
}

/// An in-process queue and its inbox.
pub fn local() -> (Queue, Inbox, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Queue::Local(tx), Inbox::Local(rx), Events::Log)
}

impl Queue {
    /// Queues an order; `id` deduplicates retries of the same publish.
    pub async fn publish(&self, id: i64, payload: Vec<u8>) -> Result<(), QueueError> {
        match self {
            Self::Nats { js, names } => {
                let publish = jetstream::context::Publish::build()
                    .payload(payload.into())
                    .message_id(id.to_string());
                js.send_publish(names.subject("order.queue"), publish)
                    .await
                    .map_err(err)?
                    .await
                    .map_err(err)?;
                Ok(())
            }
            Self::Local(tx) => tx.send(payload).map_err(|_| err("the consumer has stopped")),
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
                        if let Err(e) = handler.handle(&payload).await {
                            tracing::error!(error = %crate::telemetry::chain(&e), "queued order could not be persisted");
                        }
                    }
                    None => break,
                },
            }
        },
        Inbox::Nats(consumer) => {
            let mut messages =
                match consumer.stream().max_messages_per_batch(BATCH).messages().await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!(error = %e, "order consumer could not start");
                        return;
                    }
                };
            loop {
                let next = tokio::select! {
                    () = stopped(&mut stop) => break,
                    next = messages.next() => next,
                };
                let Some(Ok(msg)) = next else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                match handler.handle(&msg.payload).await {
                    Ok(()) => {
                        if let Err(e) = msg.ack().await {
                            tracing::warn!(error = %e, "ack failed; the order will be redelivered and skipped");
                        }
                    }
                    Err(e @ HandleError::Retry(_)) => {
                        let delivered = msg.info().map(|i| i.delivered).unwrap_or(0);
                        tracing::error!(error = %crate::telemetry::chain(&e), delivered, max = MAX_DELIVER, "queued order not persisted; left for redelivery");
                    }
                    Err(e @ HandleError::Reject(_)) => {
                        tracing::error!(error = %crate::telemetry::chain(&e), "queued order rejected for good");
                        if let Err(e) = msg.ack_with(jetstream::AckKind::Term).await {
                            tracing::warn!(error = %e, "could not terminate a rejected message");
                        }
                    }
                }
            }
        }
    }
    tracing::info!("order consumer stopped");
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
