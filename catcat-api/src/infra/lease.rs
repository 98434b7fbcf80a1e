//! Leased snowflake worker ids: each replica holds one of the 32 worker ids through a Redis
//! key (`ids:worker:{n}`, `SET NX PX`), renews it well inside its time to live by
//! compare-and-set (only its own token extends it) and deletes it, again by compare, on
//! shutdown.
//!
//! Why two replicas never mint with one worker id: the generator's deadline is set from the
//! moment a renewal was *sent* plus [`Lease::safe_for`] (the time to live less a margin), while
//! Redis keeps the key for the full time to live from the moment it *received* it. A replica
//! cut off from Redis therefore stops minting before its key can expire, and only after the
//! key expires can another replica take the id. The margin ([`MARGIN_DIVISOR`]) absorbs clock
//! rate differences between hosts; it does not cover a host whose clock jumps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::ids::{IdGenerator, MAX_WORKER};
use super::kv::{Kv, KvError, Script};

/// How long a lease lives unless renewed.
pub const LEASE_TTL: Duration = Duration::from_secs(15);

/// The generator stops minting this fraction of the time to live before the key could expire.
const MARGIN_DIVISOR: u32 = 5;

/// Extends the key only if it still holds our token.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Deletes the key only if it still holds our token.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Why no worker id could be leased.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// Every worker id is held by a live replica.
    #[error(
        "no free worker id: all {} are leased by running replicas (at most {} replicas share one Redis key space)",
        u32::from(MAX_WORKER) + 1,
        u32::from(MAX_WORKER) + 1
    )]
    NoneFree,
    /// Redis did not answer in time.
    #[error("worker id lease: Redis did not answer within {0:?}")]
    Timeout(Duration),
    /// Redis answered with an error.
    #[error(transparent)]
    Store(#[from] KvError),
}

/// A worker id held in Redis.
#[derive(Debug)]
pub struct Lease {
    kv: Kv,
    worker: u16,
    key: String,
    token: String,
    ttl: Duration,
    renew: Script,
    release: Script,
}

fn key(worker: u16) -> String {
    format!("ids:worker:{worker}")
}

/// `call`, or [`LeaseError::Timeout`] after `limit`.
async fn within<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, KvError>>,
) -> Result<T, LeaseError> {
    tokio::time::timeout(limit, call)
        .await
        .map_err(|_| LeaseError::Timeout(limit))?
        .map_err(Into::into)
}

impl Lease {
    /// Leases the first free worker id, trying `preferred` first; returns it with the instant
    /// until which it may be used. `None` without Redis (a single node needs no lease).
    pub async fn acquire(
        kv: &Kv,
        preferred: u16,
        ttl: Duration,
    ) -> Result<Option<(Self, Instant)>, LeaseError> {
        let limit = ttl / MARGIN_DIVISOR;
        let Some(renew) = within(limit, kv.load(RENEW)).await? else { return Ok(None) };
        let Some(release) = within(limit, kv.load(RELEASE)).await? else { return Ok(None) };
        let token = format!("{:032x}", rand::random::<u128>());
        for i in 0..=MAX_WORKER {
            let worker = (preferred + i) % (MAX_WORKER + 1);
            let sent = Instant::now();
            if within(limit, kv.set_nx(&key(worker), &token, ttl)).await? {
                let lease = Self {
                    kv: kv.clone(),
                    worker,
                    key: kv.redis_key(&key(worker)).unwrap_or_default(),
                    token,
                    ttl,
                    renew,
                    release,
                };
                let until = sent + lease.safe_for();
                return Ok(Some((lease, until)));
            }
        }
        Err(LeaseError::NoneFree)
    }

    /// The worker id held.
    pub fn worker(&self) -> u16 {
        self.worker
    }

    /// How long after sending a successful renewal the id is surely ours.
    pub fn safe_for(&self) -> Duration {
        self.ttl - self.ttl / MARGIN_DIVISOR
    }

    /// Extends the lease; `Some(until)` while it is ours, `None` when another replica holds it
    /// or it expired (the caller must stop minting at once).
    pub async fn renew(&self) -> Result<Option<Instant>, LeaseError> {
        let sent = Instant::now();
        let args = vec![self.token.clone(), self.ttl.as_millis().to_string()];
        let renewed: i64 = within(
            self.ttl / MARGIN_DIVISOR,
            self.kv.run(&self.renew, vec![self.key.clone()], args),
        )
        .await?;
        Ok((renewed == 1).then(|| sent + self.safe_for()))
    }

    /// Gives the id back (only if still ours), so a restarting replica need not wait out the
    /// time to live.
    pub async fn release(&self) {
        let call =
            self.kv.run::<i64>(&self.release, vec![self.key.clone()], vec![self.token.clone()]);
        if let Err(e) = within(self.ttl / MARGIN_DIVISOR, call).await {
            tracing::warn!(worker = self.worker, error = %e, "worker id lease not released; it expires by itself");
        }
    }
}

/// A running lease keeper: send `true` to stop it, then await it (it releases the lease).
pub type Keeper = (watch::Sender<bool>, tokio::task::JoinHandle<()>);

/// The id generator: on a leased worker id with Redis (kept by a task until its [`Keeper`] is
/// stopped), else on `preferred` with no lease (a single node).
pub async fn generator(
    kv: &Kv,
    preferred: u16,
) -> Result<(Arc<IdGenerator>, Option<Keeper>), LeaseError> {
    match Lease::acquire(kv, preferred, LEASE_TTL).await? {
        Some((lease, until)) => {
            tracing::info!(worker = lease.worker(), "worker id leased");
            let ids = Arc::new(IdGenerator::leased(lease.worker(), until));
            let (stop, stopped) = watch::channel(false);
            let keeper = tokio::spawn(keep(lease, ids.clone(), kv.clone(), stopped));
            Ok((ids, Some((stop, keeper))))
        }
        None => Ok((Arc::new(IdGenerator::new(preferred)), None)),
    }
}

/// Keeps `ids` minting under `lease`: renews every third of the time to live and moves the
/// generator's deadline; a failed renewal leaves the deadline where it was (minting stops
/// there if none succeeds in time); a lost lease stops minting at once and a new worker id is
/// leased. Releases the lease when `stop` turns true.
pub async fn keep(
    mut lease: Lease,
    ids: Arc<IdGenerator>,
    kv: Kv,
    mut stop: watch::Receiver<bool>,
) {
    let every = lease.ttl / 3;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            () = tokio::time::sleep(every) => {}
        }
        match lease.renew().await {
            Ok(Some(until)) => ids.extend(lease.worker, until),
            Ok(None) => {
                ids.revoke();
                tracing::error!(
                    worker = lease.worker,
                    "worker id lease lost; minting stopped until a new one is leased"
                );
                match Lease::acquire(&kv, lease.worker, lease.ttl).await {
                    Ok(Some((new, until))) => {
                        tracing::info!(worker = new.worker, "worker id leased again");
                        ids.extend(new.worker, until);
                        lease = new;
                    }
                    Ok(None) => break,
                    Err(e) => tracing::error!(error = %e, "no worker id leased; retrying"),
                }
            }
            Err(e) => {
                metrics::counter!("id_lease_renewals_failed_total").increment(1);
                tracing::warn!(worker = lease.worker, error = %e, "worker id lease not renewed; minting stops at the deadline unless a renewal succeeds");
            }
        }
    }
    lease.release().await;
}
